import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import type { Session } from "../bindings/Session";
import { en, my } from "../i18n";
import { fakeApi } from "../test/fakeApi";
import { card, memberCluster, unlockedSession } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts } from "../test/render";
import { SettingsScreen } from "./SettingsScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

const field = (id: string) => document.getElementById(id) as HTMLInputElement;

function setup(session: Session, overrides: Parameters<typeof fakeApi>[0], language: "en" | "my") {
  const api = fakeApi(overrides);
  const onSession = vi.fn();
  const { missing } = renderIn(language, <SettingsScreen api={api} session={session} onSession={onSession} />);
  return { api, onSession, missing };
}

describe.each(["en", "my"] as const)("SettingsScreen (%s)", (language) => {
  const c = catalogues[language];

  it("shows this computer's identity, where its keys are, and every section", () => {
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
    expect(screen.getByText(c.settings.keys.body)).toBeInTheDocument();
    expect(screen.getByText(c.settings.language.body)).toBeInTheDocument();
    expect(document.getElementById("export-backup")).toBeInTheDocument();
    expectNoRawKeys(missing);
  });

  it("says when the keys are in a passphrase file", () => {
    const { missing } = setup({ ...unlockedSession, needs_passphrase: true }, {}, language);
    expect(screen.getByTestId("key-storage")).toHaveTextContent(c.settings.identity.passphrase);
    expect(screen.getByTestId("key-storage")).toHaveAttribute("data-storage", "passphrase");
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
});
