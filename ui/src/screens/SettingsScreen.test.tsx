import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import type { ClusterView } from "../bindings/ClusterView";
import type { Session } from "../bindings/Session";
import { en, LANGUAGE_STORAGE_KEY, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { card, memberCluster, unlockedSession, memberEntry } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts, fill } from "../test/render";
import { ClusterScreen } from "./ClusterScreen";
import { SettingsScreen } from "./SettingsScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

const field = (id: string) => document.getElementById(id) as HTMLInputElement;

/** This member (listed first, as the roster may), an active IMO, and a removed partner. */
const me = memberEntry({
  member_id: card.member_id,
  name: card.name,
  org: card.org,
  fingerprint: card.fingerprint,
  you: true,
  safety_number: null,
});
const imo = memberEntry({
  member_id: "imo-1",
  name: "Ko Min Thu",
  org: "Cluster IMO team",
  roles: ["imo"],
  safety_number: "12345 67890 24680 13579 11223 34455 55667 78899 90011 22334 45566 67788",
});
const removedPartner = memberEntry({
  member_id: "p-9",
  name: "U Zaw",
  org: "Yoma Relief",
  status: "removed",
  safety_number: "55555 44444 33333 22222 11111 00000 98765 43210 13579 24680 10293 84756",
});
const view: ClusterView = {
  name: "Shan Food Security Cluster",
  version: 3,
  expires_at: "2099-06-01T00:00:00Z",
  recovery_key: null,
  rights_response_days: 30,
  members: [me, imo, removedPartner],
};

const keysSection = (c: typeof en) => screen.getByRole("region", { name: c.settings.keys.title });
const memberSelect = () => document.getElementById("safety-member") as HTMLSelectElement | null;

function setup(session: Session, overrides: Parameters<typeof fakeApi>[0], language: "en" | "my") {
  const api = fakeApi(overrides);
  const onSession = vi.fn();
  const { missing } = renderIn(language, <SettingsScreen api={api} session={session} onSession={onSession} />);
  return { api, onSession, missing };
}

describe.each(["en", "my"] as const)("SettingsScreen (%s)", (language) => {
  const c = catalogues[language];

  it("shows this computer's identity, where its keys are, and every section", async () => {
    const { missing } = setup(unlockedSession, {}, language);
    expect(screen.getByRole("heading", { level: 1, name: c.screens.settings.title })).toBeInTheDocument();
    for (const title of [
      c.settings.identity.title,
      c.settings.relay.title,
      c.settings.backup.title,
      c.settings.keys.title,
      c.settings.language.title,
    ]) {
      expect(screen.getByRole("heading", { level: 2, name: title })).toBeInTheDocument();
    }
    expect(screen.getByTestId("my-name")).toHaveTextContent(card.name);
    expect(screen.getByTestId("my-org")).toHaveTextContent(card.org);
    expect(screen.getByTestId("my-member-id")).toHaveTextContent(card.member_id);
    expect(screen.getByTestId("my-fingerprint")).toHaveTextContent(card.fingerprint);
    expect(screen.getByTestId("key-storage")).toHaveTextContent(c.settings.identity.keyring);
    expect(screen.getByTestId("current-relay")).toHaveTextContent("https://relay.example.org");
    expect(screen.getByText(c.settings.keys.intro)).toBeInTheDocument();
    expect(screen.getByText(c.settings.language.intro)).toBeInTheDocument();
    expect(document.getElementById("settings-language-en")).toHaveTextContent(c.language.en);
    expect(document.getElementById("settings-language-my")).toHaveTextContent(c.language.my);
    expect(document.getElementById("export-backup")).toBeInTheDocument();
    expect(await screen.findByTestId("safety-none")).toHaveTextContent(c.settings.keys.none);
    expectNoRawKeys(missing);
  });

  it("says when the keys are in a passphrase file", async () => {
    const { missing } = setup({ ...unlockedSession, needs_passphrase: true }, {}, language);
    expect(screen.getByTestId("key-storage")).toHaveTextContent(c.settings.identity.passphrase);
    expect(screen.getByTestId("key-storage")).toHaveAttribute("data-storage", "passphrase");
    await screen.findByTestId("safety-none");
    expectNoRawKeys(missing);
  });

  it("says a refused relay address next to the field, then saves a good one and hands on the new session", async () => {
    const user = userEvent.setup();
    const next: Session = { ...unlockedSession, cluster: { ...memberCluster, relay: "https://relay2.example.org:8443" } };
    const setRelay = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("invalid-argument", "not a relay address: use https://host[:port]"))
      .mockResolvedValueOnce(undefined);
    const session = vi.fn(async () => next);
    const { api, onSession, missing } = setup(unlockedSession, { setRelay, session }, language);

    const input = field("relay-url");
    expect(input).toHaveValue("https://relay.example.org");
    expect(screen.getByLabelText(c.settings.relay.label)).toBe(input);
    await user.clear(input);
    await user.type(input, "relay2.example.org");
    await user.click(document.getElementById("save-relay")!);

    await waitFor(() => expect(document.getElementById("relay-url-error")).not.toBeNull());
    const error = document.getElementById("relay-url-error")!;
    expect(within(error).getByRole("alert")).toHaveTextContent(c.settings.relay.invalid);
    expect(error).toHaveAttribute("data-code", "invalid-argument");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input.getAttribute("aria-describedby")).toContain("relay-url-error");
    await waitFor(() => expect(input).toHaveFocus());
    expect(api.session).not.toHaveBeenCalled();
    expect(onSession).not.toHaveBeenCalled();
    expectNoRawKeys(missing);

    await user.clear(input);
    await user.type(input, "https://relay2.example.org:8443");
    await user.click(document.getElementById("save-relay")!);
    await waitFor(() => expect(onSession).toHaveBeenCalledWith(next));
    expect(vi.mocked(api.setRelay).mock.calls).toEqual([["relay2.example.org"], ["https://relay2.example.org:8443"]]);
    expect(api.session).toHaveBeenCalledOnce();
    expect(screen.getByTestId("relay-saved")).toHaveTextContent("https://relay2.example.org:8443");
    expect(document.getElementById("relay-url-error")).toBeNull();
    expect(input).toHaveAttribute("aria-invalid", "false");
    expectNoRawKeys(missing);
  });

  it("does not send an empty relay address", async () => {
    const user = userEvent.setup();
    const { api, missing } = setup(unlockedSession, {}, language);
    await user.clear(field("relay-url"));
    await user.click(document.getElementById("save-relay")!);
    expect(screen.getByText(c.settings.relay.missing)).toBeInTheDocument();
    expect(api.setRelay).not.toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("backs up: a short passphrase never reaches the shell; cancelled and done are told apart", async () => {
    const user = userEvent.setup();
    const exportBackup = vi.fn().mockResolvedValueOnce(null).mockResolvedValueOnce("D:\\backups\\sealpost-backup.age");
    const { api, missing } = setup(unlockedSession, { exportBackup }, language);

    await user.type(field("backup-passphrase"), "short");
    await user.type(field("backup-passphrase-again"), "short");
    await user.click(document.getElementById("export-backup")!);
    expect(field("backup-passphrase")).toHaveAttribute("aria-invalid", "true");
    expect(api.exportBackup).not.toHaveBeenCalled();

    await user.clear(field("backup-passphrase"));
    await user.clear(field("backup-passphrase-again"));
    await user.type(field("backup-passphrase"), "မင်္ဂလာ river 7");
    await user.type(field("backup-passphrase-again"), "မင်္ဂလာ river 7");
    await user.click(document.getElementById("export-backup")!);
    expect(await screen.findByTestId("backup-cancelled")).toBeInTheDocument();

    await user.click(document.getElementById("export-backup")!);
    expect(await screen.findByTestId("backup-done")).toHaveTextContent("D:\\backups\\sealpost-backup.age");
    expect(api.exportBackup).toHaveBeenLastCalledWith("မင်္ဂလာ river 7");
    expectNoRawKeys(missing);
  });

  it("lists the other members (not this one) and shows the safety number with the one chosen, as the Cluster screen does", async () => {
    const user = userEvent.setup();
    const clusterView = vi.fn(async () => view);
    const { missing } = setup(unlockedSession, { clusterView }, language);

    const section = keysSection(c);
    expect(within(section).getByRole("status")).toHaveTextContent(c.common.loading);
    const select = await within(section).findByLabelText(c.settings.keys.label);
    expect(select).toBe(memberSelect());
    expect(clusterView).toHaveBeenCalledOnce();

    // The others, in roster order; the removed one marked. Not this member.
    const options = [...memberSelect()!.options];
    expect(options.map((option) => option.value)).toEqual(["", "imo-1", "p-9"]);
    expect(options.map((option) => option.textContent)).toEqual([
      c.settings.keys.choose,
      "Ko Min Thu (Cluster IMO team)",
      fill(c.settings.keys.option_removed, { name: "U Zaw", org: "Yoma Relief" }),
    ]);
    expect(options.some((option) => option.value === card.member_id || option.textContent?.includes(card.name))).toBe(false);
    expect(screen.queryByTestId("safety-check-number")).toBeNull();
    expectNoRawKeys(missing);

    await user.selectOptions(memberSelect()!, "imo-1");
    const number = screen.getByTestId("safety-check-number");
    expect(number.tagName).toBe("P");
    expect(within(number).getByText(imo.safety_number!)).toHaveClass("key-digits");
    expect(number).toHaveTextContent(fill(c.settings.keys.number, { name: imo.name }));
    const check = screen.getByTestId("safety-check");
    for (const text of [
      fill(c.settings.keys.call, { name: imo.name }),
      fill(c.settings.keys.read, { name: imo.name }),
      c.settings.keys.match,
      c.settings.keys.differs,
    ]) {
      expect(within(check).getByText(text)).toBeInTheDocument();
    }
    expect(within(check).queryByText(fill(c.settings.keys.removed, { name: imo.name }))).toBeNull();
    expectNoRawKeys(missing);

    // The very same paragraph the Cluster screen shows for this member: label, digits, classes.
    const settingsNumber = number.cloneNode(true) as HTMLElement;
    renderIn(language, <ClusterScreen api={fakeApi({ clusterView: async () => view })} session={unlockedSession} feed={NO_SYNC} />);
    const row = (await screen.findAllByTestId("member-row")).find((tr) => tr.dataset.memberId === "imo-1")!;
    const clusterNumber = within(row).getByTestId("safety-number");
    expect(settingsNumber.textContent).toBe(clusterNumber.parentElement!.textContent);
    expect(settingsNumber.querySelector("code")!.className).toBe(clusterNumber.className);
    expect(settingsNumber.querySelector(".key-label")!.textContent).toBe(
      clusterNumber.parentElement!.querySelector(".key-label")!.textContent,
    );

    // A removed member: still their number, and said to be removed.
    await user.selectOptions(memberSelect()!, "p-9");
    expect(screen.getByTestId("safety-check-number")).toHaveTextContent(removedPartner.safety_number!);
    expect(screen.getByTestId("safety-check-number")).not.toHaveTextContent(imo.safety_number!);
    expect(screen.getByText(fill(c.settings.keys.removed, { name: "U Zaw" }))).toBeInTheDocument();

    await user.selectOptions(memberSelect()!, "");
    expect(screen.queryByTestId("safety-check-number")).toBeNull();
  });

  it("says when there is nobody else to check", async () => {
    const { missing } = setup(unlockedSession, { clusterView: async () => ({ ...view, members: [me] }) }, language);
    expect(await screen.findByTestId("safety-none")).toHaveTextContent(c.settings.keys.none);
    expect(memberSelect()).toBeNull();
    expectNoRawKeys(missing);
  });

  it("says why the members could not be read, and tries again", async () => {
    const user = userEvent.setup();
    const clusterView = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("no-roster", "no roster held yet"))
      .mockResolvedValueOnce(view);
    const { missing } = setup(unlockedSession, { clusterView }, language);

    const section = keysSection(c);
    const alert = await within(section).findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.title);
    expect(alert).toHaveTextContent(c.errors["no-roster"]);
    expect(within(section).queryByText(c.common.loading)).toBeNull();
    expect(memberSelect()).toBeNull();
    expectNoRawKeys(missing);

    await user.click(within(section).getByRole("button", { name: c.common.try_again }));
    await waitFor(() => expect(memberSelect()).not.toBeNull());
    expect(within(section).queryByRole("alert")).toBeNull();
    expect(clusterView).toHaveBeenCalledTimes(2);
  });

  it("switches the language like the header does: <html lang>, the stored choice, aria-pressed", async () => {
    const user = userEvent.setup();
    const other = language === "en" ? "my" : "en";
    const { missing } = setup(unlockedSession, {}, language);
    const mine = document.getElementById(`settings-language-${language}`)!;
    const theirs = document.getElementById(`settings-language-${other}`)!;
    expect(within(screen.getByRole("group", { name: c.settings.language.title })).getAllByRole("button")).toEqual([
      document.getElementById("settings-language-en"),
      document.getElementById("settings-language-my"),
    ]);
    expect(mine).toHaveAttribute("lang", language);
    expect(theirs).toHaveAttribute("lang", other);
    expect(mine).toHaveAttribute("aria-pressed", "true");
    expect(theirs).toHaveAttribute("aria-pressed", "false");
    expect(document.documentElement.lang).toBe(language);
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBeNull();

    await user.click(theirs);
    await waitFor(() => expect(document.documentElement.lang).toBe(other));
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe(other);
    expect(theirs).toHaveAttribute("aria-pressed", "true");
    expect(mine).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByRole("heading", { level: 1, name: catalogues[other].screens.settings.title })).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 2, name: catalogues[other].settings.language.title })).toBeInTheDocument();

    await user.click(mine);
    await waitFor(() => expect(document.documentElement.lang).toBe(language));
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe(language);
    expect(mine).toHaveAttribute("aria-pressed", "true");
    expect(theirs).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByRole("heading", { level: 1, name: c.screens.settings.title })).toBeInTheDocument();
    await screen.findByTestId("safety-none");
    expectNoRawKeys(missing);
  });
});
