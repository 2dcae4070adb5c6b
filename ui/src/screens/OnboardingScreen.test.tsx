import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { I18nextProvider } from "react-i18next";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import type { Session } from "../bindings/Session";
import type { SyncStatus } from "../bindings/SyncStatus";
import { en, my } from "../i18n";
import { NO_SYNC, type SyncFeed } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { card, idleStatus, memberCluster, unlockedSession } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts } from "../test/render";
import { OnboardingScreen, onboardingStage } from "./OnboardingScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

const noCard: Session = { card: null, unlocked: false, needs_passphrase: false, cluster: null };
const noCluster: Session = { card, unlocked: true, needs_passphrase: false, cluster: null };
/** Joined: the invite pinned the cluster, no roster yet (the coordinator has not approved). */
const waiting: Session = {
  card,
  unlocked: true,
  needs_passphrase: false,
  cluster: { ...memberCluster, name: null, roster_version: null, member: false, roles: [] },
};
/** The roster held (version 5) no longer lists this member. */
const removed: Session = {
  card,
  unlocked: true,
  needs_passphrase: false,
  cluster: { ...memberCluster, roster_version: 5, member: false, roles: [] },
};

const field = (id: string) => document.getElementById(id) as HTMLInputElement;

function setup(session: Session, overrides: Parameters<typeof fakeApi>[0] = {}, language: "en" | "my" = "en", feed: SyncFeed = NO_SYNC) {
  const api = fakeApi(overrides);
  const onSession = vi.fn();
  const rendered = renderIn(language, <OnboardingScreen api={api} session={session} feed={feed} onSession={onSession} />);
  const rerender = (next: { session?: Session; feed?: SyncFeed }) =>
    rendered.rerender(
      <I18nextProvider i18n={rendered.i18n}>
        <OnboardingScreen api={api} session={next.session ?? session} feed={next.feed ?? feed} onSession={onSession} />
      </I18nextProvider>,
    );
  return { api, onSession, missing: rendered.missing, rerender };
}

describe("onboardingStage", () => {
  it("follows the session", () => {
    expect(onboardingStage(noCard)).toBe("create");
    expect(onboardingStage(noCluster)).toBe("join");
    expect(onboardingStage(waiting)).toBe("waiting");
    expect(onboardingStage(removed)).toBe("removed");
  });
});

describe.each(["en", "my"] as const)("OnboardingScreen (%s)", (language) => {
  const c = catalogues[language];

  it("creates the identity with a passphrase when there is no keyring", async () => {
    const user = userEvent.setup();
    const createIdentity = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("keyring-unavailable", "this computer has no usable keyring"))
      .mockResolvedValueOnce(noCluster);
    const { api, onSession, missing } = setup(noCard, { createIdentity }, language);

    expect(screen.getByRole("heading", { level: 1, name: c.onboarding.title })).toBeInTheDocument();
    expect(document.getElementById("identity-passphrase")).toBeNull();
    await user.type(screen.getByLabelText(c.onboarding.create.name_label), "Daw Aye Aye");
    await user.type(screen.getByLabelText(c.onboarding.create.org_label), "Shwe Partners");
    await user.click(document.getElementById("create-identity")!);

    // The shell has no keyring: the screen says why and asks for a passphrase.
    const notice = await screen.findByTestId("keyring-unavailable");
    expect(notice).toHaveTextContent(c.onboarding.create.keyring_title);
    expect(notice).toHaveTextContent(c.onboarding.create.keyring_body);
    expect(onSession).not.toHaveBeenCalled();
    await waitFor(() => expect(field("identity-passphrase")).toHaveFocus());
    expectNoRawKeys(missing);

    await user.type(field("identity-passphrase"), "mango river 42");
    await user.type(field("identity-passphrase-again"), "mango river 42");
    await user.click(document.getElementById("create-identity")!);

    await waitFor(() => expect(onSession).toHaveBeenCalledWith(noCluster));
    expect(api.createIdentity).toHaveBeenCalledTimes(2);
    expect(vi.mocked(api.createIdentity).mock.calls).toEqual([
      ["Daw Aye Aye", "Shwe Partners", null],
      ["Daw Aye Aye", "Shwe Partners", "mango river 42"],
    ]);
    expectNoRawKeys(missing);
  });

  it("never calls the shell with a missing name or a mismatched or short passphrase", async () => {
    const user = userEvent.setup();
    const createIdentity = vi.fn().mockRejectedValue(new ApiError("keyring-unavailable", "no keyring"));
    const { api, missing } = setup(noCard, { createIdentity }, language);

    await user.click(document.getElementById("create-identity")!);
    expect(screen.getByText(c.onboarding.create.name_missing)).toBeInTheDocument();
    expect(field("identity-name")).toHaveAttribute("aria-invalid", "true");
    expect(api.createIdentity).not.toHaveBeenCalled();

    await user.type(field("identity-name"), "Daw Aye Aye");
    await user.type(field("identity-org"), "Shwe Partners");
    await user.click(document.getElementById("create-identity")!);
    await screen.findByTestId("keyring-unavailable");
    expect(api.createIdentity).toHaveBeenCalledTimes(1);

    await user.type(field("identity-passphrase"), "mango river 42");
    await user.type(field("identity-passphrase-again"), "mango river 43");
    await user.click(document.getElementById("create-identity")!);
    expect(screen.getByText(c.onboarding.passphrase.mismatch)).toBeInTheDocument();
    expect(field("identity-passphrase-again")).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(field("identity-passphrase-again")).toHaveFocus());

    await user.clear(field("identity-passphrase"));
    await user.clear(field("identity-passphrase-again"));
    await user.type(field("identity-passphrase"), "short");
    await user.type(field("identity-passphrase-again"), "short");
    await user.click(document.getElementById("create-identity")!);
    expect(field("identity-passphrase")).toHaveAttribute("aria-invalid", "true");
    expect(document.getElementById("identity-passphrase-problem")).toBeInTheDocument();

    expect(api.createIdentity).toHaveBeenCalledTimes(1);
    expectNoRawKeys(missing);
  });

  it("restores from a backup, saying a wrong passphrase or a file that is not a backup next to the field", async () => {
    const user = userEvent.setup();
    const pickBackup = vi.fn().mockResolvedValueOnce(null).mockResolvedValue("/media/usb/sealpost-backup.age");
    const restoreIdentity = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("wrong-passphrase", "the passphrase does not open this backup"))
      .mockRejectedValueOnce(new ApiError("not-an-identity", "this file is not an identity"))
      .mockResolvedValueOnce(noCluster);
    const { api, onSession, missing } = setup(noCard, { pickBackup, restoreIdentity }, language);

    // Cancelled: nothing happens, and the screen says so.
    await user.click(document.getElementById("restore-backup")!);
    expect(await screen.findByText(c.onboarding.restore.cancelled)).toBeInTheDocument();
    expect(document.getElementById("restore-passphrase")).toBeNull();

    await user.click(document.getElementById("restore-backup")!);
    expect(await screen.findByTestId("restore-file")).toHaveTextContent("/media/usb/sealpost-backup.age");
    await waitFor(() => expect(field("restore-passphrase")).toHaveFocus());
    await user.type(field("restore-passphrase"), "wrong one");
    await user.click(document.getElementById("restore-confirm")!);
    const problem = await waitFor(() => {
      const found = document.getElementById("restore-problem");
      expect(found).not.toBeNull();
      return found!;
    });
    expect(within(problem).getByRole("alert")).toHaveTextContent(c.errors["wrong-passphrase"]);
    expect(field("restore-passphrase")).toHaveAttribute("aria-invalid", "true");
    expect(field("restore-passphrase").getAttribute("aria-describedby")).toContain("restore-problem");

    await user.click(document.getElementById("restore-confirm")!);
    await waitFor(() =>
      expect(document.getElementById("restore-problem")).toHaveTextContent(c.onboarding.errors["not-an-identity"]),
    );
    expectNoRawKeys(missing);

    await user.clear(field("restore-passphrase"));
    await user.click(document.getElementById("restore-confirm")!);
    await waitFor(() => expect(onSession).toHaveBeenCalledWith(noCluster));
    expect(vi.mocked(api.restoreIdentity).mock.calls).toEqual([
      ["/media/usb/sealpost-backup.age", "wrong one"],
      ["/media/usb/sealpost-backup.age", "wrong one"],
      ["/media/usb/sealpost-backup.age", null],
    ]);
  });

  it("joins with a pasted invite code and shows the request and the fingerprint", async () => {
    const user = userEvent.setup();
    const session = vi.fn(async () => waiting);
    const { api, onSession, missing } = setup(noCluster, { session }, language);

    expect(screen.getByRole("heading", { level: 1, name: c.onboarding.join.title })).toBeInTheDocument();
    // Nothing typed: said next to the field, and the shell is not asked.
    await user.click(document.getElementById("join-cluster")!);
    expect(screen.getByText(c.onboarding.join.code_missing)).toBeInTheDocument();
    expect(api.joinCluster).not.toHaveBeenCalled();

    await user.click(screen.getByLabelText(c.onboarding.join.code_label));
    await user.paste("  SP-7K3Q-XW9D-4HTR-22PM  ");
    await user.click(document.getElementById("join-cluster")!);
    expect(api.joinCluster).toHaveBeenCalledWith("SP-7K3Q-XW9D-4HTR-22PM");

    const result = await screen.findByTestId("join-result");
    expect(result).toHaveAttribute("data-sent", "true");
    expect(result).toHaveTextContent(c.onboarding.joined.sent_title);
    expect(screen.getByTestId("my-fingerprint")).toHaveTextContent("12345 67890 12345 67890");
    expect(screen.getByTestId("join-waiting")).toBeInTheDocument();
    // The session is read again so that the app knows the cluster.
    await waitFor(() => expect(onSession).toHaveBeenCalledWith(waiting));
    expectNoRawKeys(missing);
  });

  it("gives the request file when the relay could not take the join request", async () => {
    const user = userEvent.setup();
    const joinCluster = vi.fn(async () => ({
      cluster_id: "c0ffee00c0ffee00c0ffee00c0ffee00",
      relay: "https://relay.example.org",
      request_id: "req-1",
      sent_to_relay: false,
      relay_error: { code: "relay-unreachable", message: "could not connect to relay.example.org" },
      request_file: "/home/aye/.local/share/sealpost/join-request-req-1.json",
      fingerprint: "12345 67890 12345 67890",
    }));
    const { missing } = setup(noCluster, { joinCluster }, language);
    await user.type(field("invite-code"), "SP-7K3Q");
    await user.click(document.getElementById("join-cluster")!);

    const result = await screen.findByTestId("join-result");
    expect(result).toHaveAttribute("data-sent", "false");
    expect(result).toHaveTextContent(c.onboarding.joined.not_sent_title);
    expect(result).toHaveTextContent(c.errors["relay-unreachable"]);
    expect(within(result).getByTestId("request-file")).toHaveTextContent(
      "/home/aye/.local/share/sealpost/join-request-req-1.json",
    );
    expect(screen.getByTestId("my-fingerprint")).toHaveTextContent("12345 67890 12345 67890");
    expectNoRawKeys(missing);
  });

  it("reads the invite code from a picture of its QR code into the field", async () => {
    const user = userEvent.setup();
    const pickImage = vi.fn().mockResolvedValueOnce(null).mockResolvedValue("/home/aye/Pictures/invite.png");
    const { api, missing } = setup(noCluster, { pickImage }, language);

    await user.click(document.getElementById("invite-from-image")!);
    expect(await screen.findByText(c.onboarding.join.image_cancelled)).toBeInTheDocument();
    expect(api.inviteFromImage).not.toHaveBeenCalled();

    await user.click(document.getElementById("invite-from-image")!);
    await waitFor(() => expect(field("invite-code")).toHaveValue("SP-AAAAA-BBBBB"));
    expect(api.inviteFromImage).toHaveBeenCalledWith("/home/aye/Pictures/invite.png");
    expect(screen.getByTestId("invite-read")).toBeInTheDocument();
    await waitFor(() => expect(field("invite-code")).toHaveFocus());
    expect(api.joinCluster).not.toHaveBeenCalled();

    await user.click(document.getElementById("join-cluster")!);
    expect(api.joinCluster).toHaveBeenCalledWith("SP-AAAAA-BBBBB");
    expectNoRawKeys(missing);
  });

  it("says clearly when the picture has no QR code", async () => {
    const user = userEvent.setup();
    const { missing } = setup(
      noCluster,
      {
        pickImage: vi.fn(async () => "/home/aye/Pictures/cat.jpg"),
        inviteFromImage: vi.fn().mockRejectedValue(new ApiError("no-qr-code", "no QR code was found in the picture")),
      },
      language,
    );
    await user.click(document.getElementById("invite-from-image")!);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(c.onboarding.errors["no-qr-code"]);
    expect(alert).toHaveTextContent(c.errors.title);
    expect(document.getElementById("invite-image-error")).toHaveAttribute("data-code", "no-qr-code");
    expect(field("invite-code")).toHaveValue("");
    expectNoRawKeys(missing);
  });

  it("says an invalid invite code next to the field", async () => {
    const user = userEvent.setup();
    const joinCluster = vi.fn().mockRejectedValue(new ApiError("invalid-invite", "the invite code has a typo"));
    const { missing } = setup(noCluster, { joinCluster }, language);
    await user.type(field("invite-code"), "SP-TYPO");
    await user.click(document.getElementById("join-cluster")!);
    await waitFor(() =>
      expect(document.getElementById("invite-code-error")).toHaveTextContent(c.onboarding.errors["invalid-invite"]),
    );
    expect(field("invite-code")).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByTestId("join-result")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("waits for the coordinator and reads the session again after each sync pass", async () => {
    const user = userEvent.setup();
    const approved: Session = unlockedSession;
    const session = vi.fn(async () => approved);
    const { api, onSession, missing, rerender } = setup(waiting, { session }, language);

    const stage = screen.getByTestId("join-waiting");
    expect(screen.getByRole("heading", { level: 1, name: c.onboarding.waiting.title })).toBeInTheDocument();
    expect(within(stage).getByTestId("my-fingerprint")).toHaveTextContent(card.fingerprint);
    expect(stage).toHaveTextContent(c.onboarding.waiting.call);
    // The backup is offered while waiting.
    expect(document.getElementById("export-backup")).toBeInTheDocument();
    expectNoRawKeys(missing);

    await user.click(document.getElementById("check-approval")!);
    expect(api.syncNow).toHaveBeenCalledOnce();
    expect(screen.getByText(c.onboarding.waiting.checking)).toBeInTheDocument();
    expect(api.session).not.toHaveBeenCalled();

    // A pass starts: nothing to read yet.
    const running: SyncStatus = { ...idleStatus, running: true };
    rerender({ feed: { status: running, passes: 0, inboxChanges: 0 } });
    expect(api.session).not.toHaveBeenCalled();

    // The pass ends: the session is read and handed on (the app then moves on).
    const ended: SyncStatus = { ...idleStatus, last_pass_at: "2025-03-05T10:05:00Z" };
    rerender({ feed: { status: ended, passes: 1, inboxChanges: 0 } });
    await waitFor(() => expect(onSession).toHaveBeenCalledWith(approved));
    expect(api.session).toHaveBeenCalledOnce();
    expect(screen.queryByText(c.onboarding.waiting.checking)).toBeNull();

    // Another pass, another look.
    rerender({ feed: { status: { ...ended, last_pass_at: "2025-03-05T10:06:00Z" }, passes: 2, inboxChanges: 0 } });
    await waitFor(() => expect(api.session).toHaveBeenCalledTimes(2));
    expectNoRawKeys(missing);
  });

  it("says plainly when the roster no longer lists this member", async () => {
    const user = userEvent.setup();
    const { api, missing } = setup(removed, {}, language);
    const stage = screen.getByTestId("join-removed");
    expect(screen.getByRole("heading", { level: 1, name: c.onboarding.removed.title })).toBeInTheDocument();
    expect(stage).toHaveTextContent(c.onboarding.removed.body);
    expect(stage).toHaveTextContent(c.onboarding.removed.todo);
    expect(screen.queryByTestId("join-waiting")).toBeNull();
    expect(document.getElementById("join-cluster")).toBeNull();
    await user.click(document.getElementById("check-again")!);
    expect(api.syncNow).toHaveBeenCalledOnce();
    expectNoRawKeys(missing);
  });

  it("backs up the new identity: cancelled says nothing was saved, done gives the path and advice", async () => {
    const user = userEvent.setup();
    const exportBackup = vi.fn().mockResolvedValueOnce(null).mockResolvedValueOnce("/media/usb/sealpost-backup.age");
    const { api, missing } = setup(noCluster, { exportBackup }, language);
    expect(screen.getByRole("heading", { level: 2, name: c.onboarding.backup.title })).toBeInTheDocument();

    // Mismatched passphrases never reach the shell.
    await user.type(field("backup-passphrase"), "mango river 42");
    await user.type(field("backup-passphrase-again"), "mango river 24");
    await user.click(document.getElementById("export-backup")!);
    expect(screen.getByText(c.onboarding.passphrase.mismatch)).toBeInTheDocument();
    expect(api.exportBackup).not.toHaveBeenCalled();

    await user.clear(field("backup-passphrase-again"));
    await user.type(field("backup-passphrase-again"), "mango river 42");
    await user.click(document.getElementById("export-backup")!);
    expect(await screen.findByTestId("backup-cancelled")).toHaveTextContent(c.onboarding.backup.cancelled);
    expect(screen.queryByTestId("backup-done")).toBeNull();

    await user.click(document.getElementById("export-backup")!);
    const done = await screen.findByTestId("backup-done");
    expect(done).toHaveTextContent("/media/usb/sealpost-backup.age");
    expect(done).toHaveTextContent(c.onboarding.backup.done_advice);
    expect(screen.queryByTestId("backup-cancelled")).toBeNull();
    expect(vi.mocked(api.exportBackup).mock.calls).toEqual([["mango river 42"], ["mango river 42"]]);
    expect(field("backup-passphrase")).toHaveValue("");
    expectNoRawKeys(missing);
  });
});

describe("OnboardingScreen focus", () => {
  it("moves the focus to the new stage's heading", async () => {
    const { rerender } = setup(noCard);
    expect(screen.getByRole("heading", { level: 1 })).not.toHaveFocus();
    act(() => rerender({ session: noCluster }));
    await waitFor(() => expect(screen.getByRole("heading", { level: 1, name: en.onboarding.join.title })).toHaveFocus());
  });
});
