import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type Api } from "../api";
import type { ClusterView } from "../bindings/ClusterView";
import type { JoinRequests } from "../bindings/JoinRequests";
import type { MemberEntry } from "../bindings/MemberEntry";
import type { RosterChanged } from "../bindings/RosterChanged";
import type { Session } from "../bindings/Session";
import { MIN_PASSPHRASE_CHARS } from "../bindings/limits";
import { formatNumber } from "../format";
import { en, my } from "../i18n";
import { NO_SYNC, type SyncFeed } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { memberCluster, unlockedSession, memberEntry } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts, fill } from "../test/render";
import { I18nextProvider } from "react-i18next";
import { ClusterScreen } from "./ClusterScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

/** This member (the coordinator in the coordinator's tests), an IMO, and a removed partner. */
const members: MemberEntry[] = [
  memberEntry({
    member_id: "m-1",
    name: "Daw Aye Aye",
    org: "Shwe Partners",
    roles: ["coordinator", "imo"],
    coordinator_key: true,
    fingerprint: "3f2a 91bc",
    you: true,
    safety_number: null,
  }),
  memberEntry({
    member_id: "imo-1",
    name: "Ko Min Thu",
    org: "Cluster IMO team",
    roles: ["imo"],
    fingerprint: "48213 90211 73920 11842",
    safety_number: "12345 67890 24680 13579 11223 34455",
  }),
  memberEntry({
    member_id: "p-9",
    name: "U Zaw",
    org: "Yoma Relief",
    roles: ["partner"],
    status: "removed",
    fingerprint: "99999 88888 77777 66666",
    safety_number: "55555 44444 33333 22222 11111 00000",
  }),
];

const view: ClusterView = {
  name: "Shan Food Security Cluster",
  version: 3,
  expires_at: "2099-06-01T00:00:00Z",
  recovery_key: null,
  rights_response_days: 30,
  members,
};

/** A cluster recovery key's public half, as the roster's policy names it. */
const RECOVERY_KEY = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq";

const requests: JoinRequests = {
  requests: [
    {
      id: "req-ok",
      kind: "join",
      member_id: "m-new",
      name: "Naw Paw",
      org: "Karuna Org",
      role: "partner",
      fingerprint: "24680 13579 97531 86420",
      requested_at: "2025-03-06T08:00:00Z",
      problem: null,
    },
    {
      id: "req-bad",
      kind: "key-change",
      member_id: "imo-1",
      name: "Ko Min Thu",
      org: "Cluster IMO team",
      role: null,
      fingerprint: "10101 20202 30303 40404",
      requested_at: "2025-03-06T09:00:00Z",
      problem: "the request is signed with a key the roster does not hold",
    },
  ],
  relay_error: null,
};

const coordinatorSession: Session = {
  ...unlockedSession,
  cluster: { ...memberCluster, roles: ["coordinator", "imo"], coordinator: true },
};

const partnerSession: Session = {
  ...unlockedSession,
  cluster: { ...memberCluster, coordinator: false },
};

function clusterApi(overrides: Parameters<typeof fakeApi>[0] = {}) {
  return fakeApi({
    clusterView: vi.fn(async () => view),
    joinRequests: vi.fn(async () => requests),
    ...overrides,
  });
}

function rowOf(testId: string, attribute: string, id: string): HTMLElement {
  const row = screen.getAllByTestId(testId).find((element) => element.getAttribute(attribute) === id);
  if (!row) throw new Error(`no ${testId} ${id}`);
  return row;
}

const memberRow = (id: string) => rowOf("member-row", "data-member-id", id);
const requestRow = (id: string) => rowOf("request-row", "data-request-id", id);

describe.each(["en", "my"] as const)("ClusterScreen (%s)", (language) => {
  const c = catalogues[language];
  const C = c.cluster;
  const num = (value: number) => formatNumber(value, language);

  it("shows a member the roster and safety numbers, and no coordinator's tools", async () => {
    const api = clusterApi();
    const { missing } = renderIn(language, <ClusterScreen api={api} session={partnerSession} feed={NO_SYNC} />);

    const rows = await screen.findAllByTestId("member-row");
    expect(rows.map((row) => row.dataset.memberId)).toEqual(["m-1", "imo-1", "p-9"]);
    expect(screen.getByText(fill(C.summary.name, { name: view.name }))).toBeInTheDocument();
    expect(screen.getByTestId("roster-version")).toHaveTextContent(fill(C.summary.version, { version: num(3) }));

    // Yourself: "you", the roster signer, your fingerprint, no safety number.
    const me = memberRow("m-1");
    expect(within(me).getByTestId("member-you")).toHaveTextContent(C.members.you);
    expect(within(me).getByTestId("roster-signer")).toHaveTextContent(C.members.signs);
    expect(within(me).getByText("3f2a 91bc")).toBeInTheDocument();
    expect(within(me).queryByTestId("safety-number")).toBeNull();

    // Others: their fingerprint and the safety number, with what to do with it.
    const imo = memberRow("imo-1");
    expect(within(imo).getByTestId("safety-number")).toHaveTextContent("12345 67890 24680 13579 11223 34455");
    expect(within(imo).getByText(fill(C.members.safety_hint, { name: "Ko Min Thu" }))).toBeInTheDocument();
    expect(within(imo).queryByTestId("member-you")).toBeNull();
    expect(within(imo).getByText(c.role.imo)).toBeInTheDocument();

    // A removed member is marked.
    const removed = memberRow("p-9");
    expect(removed).toHaveAttribute("data-status", "removed");
    expect(within(removed).getByText(C.members.removed)).toBeInTheDocument();

    // No tools, and the coordinator-only commands are never called.
    expect(document.getElementById("create-invite")).toBeNull();
    expect(document.getElementById("refresh-requests")).toBeNull();
    expect(document.getElementById("publish-roster")).toBeNull();
    expect(document.querySelector("[data-action]")).toBeNull();
    expect(screen.queryByText(C.tools.title)).toBeNull();
    expect(api.invites).not.toHaveBeenCalled();
    expect(api.joinRequests).not.toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("says the roster is empty and shows a failing view by its code", async () => {
    const api = clusterApi({
      clusterView: vi.fn(async () => {
        throw new ApiError("no-roster", "no roster held");
      }),
    });
    const { missing } = renderIn(language, <ClusterScreen api={api} session={partnerSession} feed={NO_SYNC} />);
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["no-roster"]);
    expectNoRawKeys(missing);
  });

  it("lets the coordinator create an invite and shows the code and its QR image once", async () => {
    const user = userEvent.setup();
    const api = clusterApi({
      createInvite: vi.fn(async () => ({
        invite_id: "inv-9",
        code: "SP-ABCDE-FGHIJ-KLMNO",
        qr_svg: '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
        expires_at: "2099-01-01T00:00:00Z",
      })),
      invites: vi.fn(async () => [
        {
          invite_id: "inv-1",
          role: "partner",
          org: null,
          created_at: "2025-03-01T00:00:00Z",
          expires_at: "2099-03-08T00:00:00Z",
          used: true,
        },
      ]),
    });
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);

    // The defaults: partner, any organisation, 7 days.
    const role = (await screen.findByLabelText(C.invite.role)) as HTMLSelectElement;
    expect(role).toHaveAttribute("id", "invite-role");
    expect(role.value).toBe("partner");
    expect([...role.options].map((option) => option.value)).toEqual(["partner", "imo", "coordinator"]);
    const days = screen.getByLabelText(C.invite.days) as HTMLInputElement;
    expect(days).toHaveAttribute("id", "invite-days");
    expect(days.value).toBe("7");
    const org = screen.getByLabelText(C.invite.org);
    expect(org).toHaveAttribute("id", "invite-org");

    // The earlier invites: role, used or not, never a code.
    const [earlier] = await screen.findAllByTestId("invite-row");
    expect(earlier).toHaveTextContent(C.invite.used);
    expect(earlier).toHaveTextContent(C.invite.any_org);

    // Out of range: the button stays off and says why.
    await user.clear(days);
    await user.type(days, "31");
    expect(document.getElementById("create-invite")).toBeDisabled();
    expect(days).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText(fill(C.invite.days_problem, { min: num(1), max: num(30) }))).toBeInTheDocument();

    await user.clear(days);
    await user.type(days, "14");
    await user.selectOptions(role, "imo");
    await user.type(org, "  Yoma Relief ");
    await user.click(document.getElementById("create-invite")!);
    expect(api.createInvite).toHaveBeenCalledWith("imo", "Yoma Relief", 14);

    const code = await screen.findByTestId("invite-code");
    expect(code).toHaveTextContent("SP-ABCDE-FGHIJ-KLMNO");
    const qr = screen.getByTestId("invite-qr");
    expect(qr.tagName).toBe("IMG");
    expect(qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;/);
    expect(decodeURIComponent(qr.getAttribute("src")!.split(",")[1]!)).toContain("<rect");
    expect(qr).toHaveAccessibleName(C.invite.qr_alt);
    // The SVG is an image, never markup in the page.
    expect(document.querySelector("svg")).toBeNull();
    expect(screen.getByTestId("new-invite")).toHaveTextContent(C.invite.warning.split("{{")[0]!.trim());
    // The list is read again: the new invite shows there.
    await waitFor(() => expect(vi.mocked(api.invites).mock.calls.length).toBeGreaterThan(1));
    expectNoRawKeys(missing);
  });

  it("copies the invite code, and says so when the clipboard refuses", async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const api = clusterApi();
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    await user.click(await screen.findByRole("button", { name: C.invite.create }));
    await screen.findByTestId("invite-code");
    await user.click(document.getElementById("copy-invite")!);
    expect(writeText).toHaveBeenCalledWith("SP-AAAAA-BBBBB");
    expect(await screen.findByText(C.invite.copied)).toBeInTheDocument();

    writeText.mockRejectedValueOnce(new Error("denied"));
    await user.click(document.getElementById("copy-invite")!);
    expect(await screen.findByText(C.invite.copy_failed)).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("approves a request only through the dialog that repeats the fingerprint, then shows the new version", async () => {
    const user = userEvent.setup();
    const api = clusterApi();
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    const row = await waitFor(() => requestRow("req-ok"));
    expect(row).toHaveTextContent("Naw Paw");
    expect(row).toHaveTextContent("Karuna Org");
    expect(row).toHaveTextContent(C.requests.kind_join);
    expect(within(row).getByTestId("request-fingerprint")).toHaveTextContent("24680 13579 97531 86420");
    expect(screen.getByText(C.requests.intro)).toBeInTheDocument();
    expectNoRawKeys(missing);

    const approve = row.querySelector<HTMLElement>("[data-action=approve]")!;
    await user.click(approve);
    let dialog = screen.getByRole("dialog", { name: fill(C.requests.confirm_title, { name: "Naw Paw" }) });
    expect(within(dialog).getByTestId("confirm-fingerprint")).toHaveTextContent("24680 13579 97531 86420");
    expect(dialog).toHaveTextContent(C.requests.confirm_mismatch);
    expectNoRawKeys(missing);
    // Escape: nothing approved, focus back on the button.
    await user.keyboard("{Escape}");
    expect(api.approveRequest).not.toHaveBeenCalled();
    expect(approve).toHaveFocus();

    await user.click(approve);
    dialog = screen.getByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: C.requests.confirm_approve }));
    expect(api.approveRequest).toHaveBeenCalledWith("req-ok");
    const changed = await screen.findByTestId("roster-changed");
    expect(changed).toHaveAttribute("data-version", "4");
    expect(changed).toHaveTextContent(fill(C.changed.joined, { name: "Daw Aye", version: num(4) }));
    expect(changed).toHaveTextContent(C.changed.on_relay);
    // The roster and the requests are read again.
    await waitFor(() => expect(vi.mocked(api.clusterView).mock.calls.length).toBeGreaterThan(1));
    await waitFor(() => expect(vi.mocked(api.joinRequests).mock.calls.length).toBeGreaterThan(1));
    expectNoRawKeys(missing);
  });

  it("shows a request's problem instead of an approve button, and can reject it", async () => {
    const user = userEvent.setup();
    const api = clusterApi();
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    const row = await waitFor(() => requestRow("req-bad"));
    expect(row.querySelector("[data-action=approve]")).toBeNull();
    expect(within(row).getByTestId("request-problem")).toHaveTextContent(
      "the request is signed with a key the roster does not hold",
    );
    expect(row).toHaveTextContent(C.requests.problem);
    expect(row).toHaveTextContent(C.requests.kind_key_change);

    await user.click(row.querySelector<HTMLElement>("[data-action=reject]")!);
    expect(api.rejectRequest).toHaveBeenCalledWith("req-bad");
    expect(await screen.findByText(fill(C.requests.rejected, { name: "Ko Min Thu" }))).toBeInTheDocument();
    expectNoRawKeys(missing);
  });

  it("offers to publish again when the relay did not take the new roster", async () => {
    const user = userEvent.setup();
    const failed: RosterChanged = {
      name: "Naw Paw",
      what: "joined",
      version: 4,
      published: false,
      publish_error: { code: "relay-unreachable", message: "connection refused" },
    };
    const api = clusterApi({
      approveRequest: vi.fn(async () => failed),
      publishRoster: vi.fn(async () => ({
        name: view.name,
        what: "published",
        version: 4,
        published: true,
        publish_error: null,
      })),
    });
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    // The coordinator's section always has the button.
    await waitFor(() => expect(document.getElementById("publish-roster")).not.toBeNull());
    await user.click(approveButton(await waitFor(() => requestRow("req-ok"))));
    await user.click(document.getElementById("confirm-approve")!);

    const changed = await screen.findByTestId("roster-changed");
    expect(changed).toHaveAttribute("data-published", "false");
    expect(changed).toHaveTextContent(C.changed.not_on_relay);
    expect(within(changed).getByTestId("publish-error")).toHaveTextContent(c.errors["relay-unreachable"]);
    expect(document.querySelectorAll("#publish-roster")).toHaveLength(1);
    expect(within(screen.getByTestId("cluster-outcome")).getByRole("button", { name: C.publish.button })).toHaveAttribute(
      "id",
      "publish-roster",
    );
    expectNoRawKeys(missing);

    await user.click(document.getElementById("publish-roster")!);
    expect(api.publishRoster).toHaveBeenCalledOnce();
    await waitFor(() =>
      expect(screen.getByTestId("roster-changed")).toHaveTextContent(fill(C.changed.published, { version: num(4) })),
    );
    expect(screen.getByTestId("roster-changed")).toHaveAttribute("data-published", "true");
    expect(document.querySelectorAll("#publish-roster")).toHaveLength(1);
    expectNoRawKeys(missing);
  });

  it("removes a member after a dialog that says what removal does", async () => {
    const user = userEvent.setup();
    const api = clusterApi();
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    await screen.findAllByTestId("member-row");
    // Not yourself, not someone already removed.
    expect(memberRow("m-1").querySelector("[data-action=remove]")).toBeNull();
    expect(memberRow("p-9").querySelector("[data-action=remove]")).toBeNull();

    const remove = memberRow("imo-1").querySelector<HTMLElement>("[data-action=remove]")!;
    await user.click(remove);
    let dialog = screen.getByRole("dialog", { name: fill(C.remove.title, { name: "Ko Min Thu" }) });
    expect(dialog).toHaveTextContent(fill(C.remove.roster, { name: "Ko Min Thu" }));
    expect(dialog).toHaveTextContent(C.remove.kept);
    expectNoRawKeys(missing);
    await user.click(within(dialog).getByRole("button", { name: C.remove.cancel }));
    expect(api.removeMember).not.toHaveBeenCalled();

    await user.click(remove);
    dialog = screen.getByRole("dialog");
    await user.click(document.getElementById("confirm-remove")!);
    expect(api.removeMember).toHaveBeenCalledWith("imo-1");
    expect(await screen.findByTestId("roster-changed")).toHaveTextContent(
      fill(C.changed.removed, { name: "U Zaw", version: num(4) }),
    );
    expectNoRawKeys(missing);
  });

  it("tells every member whether parcels are also sealed to a recovery key, and the rights response days", async () => {
    const api = clusterApi();
    const { missing, unmount } = renderIn(language, <ClusterScreen api={api} session={partnerSession} feed={NO_SYNC} />);
    let status = await screen.findByTestId("cluster-recovery-status");
    expect(status).toHaveAttribute("data-recovery", "off");
    expect(status).toHaveTextContent(C.summary.recovery_off);
    expect(status).not.toHaveTextContent(C.summary.recovery_on);
    expect(screen.getByTestId("rights-response-days")).toHaveTextContent(
      fill(C.summary.rights_days_other, { number: num(30) }),
    );
    // The coordinator's part is not there, and its commands are never called.
    expect(screen.queryByTestId("recovery-key-section")).toBeNull();
    expect(screen.queryByText(C.recovery.title)).toBeNull();
    expect(screen.queryByTestId("recovery-key-create")).toBeNull();
    expect(screen.queryByTestId("recovery-key-remove")).toBeNull();
    expectNoRawKeys(missing);
    unmount();

    const named = clusterApi({
      clusterView: vi.fn(async () => ({ ...view, recovery_key: RECOVERY_KEY, rights_response_days: 14 })),
    });
    const second = renderIn(language, <ClusterScreen api={named} session={partnerSession} feed={NO_SYNC} />);
    await waitFor(() => expect(screen.getByTestId("cluster-recovery-status")).toHaveAttribute("data-recovery", "on"));
    status = screen.getByTestId("cluster-recovery-status");
    expect(status).toHaveTextContent(C.summary.recovery_on);
    expect(status).not.toHaveTextContent(C.summary.recovery_off);
    expect(screen.getByTestId("rights-response-days")).toHaveTextContent(
      fill(C.summary.rights_days_other, { number: num(14) }),
    );
    // A member sees neither the public key nor the section.
    expect(screen.queryByTestId("recovery-key-section")).toBeNull();
    expect(screen.queryByTestId("recovery-key-public")).toBeNull();
    expect(named.createRecoveryKey).not.toHaveBeenCalled();
    expect(named.removeRecoveryKey).not.toHaveBeenCalled();
    expectNoRawKeys(second.missing);
  });

  it("lets the coordinator create the recovery key only with a good passphrase typed twice", async () => {
    const user = userEvent.setup();
    const api = clusterApi({
      createRecoveryKey: vi
        .fn<Api["createRecoveryKey"]>()
        .mockResolvedValueOnce(null)
        .mockResolvedValueOnce({
          name: "/media/usb/cluster-recovery.age",
          what: "recovery-key-set",
          version: 5,
          published: true,
          publish_error: null,
        }),
    });
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    const section = await screen.findByTestId("recovery-key-section");
    expect(within(section).getByRole("heading", { level: 2 })).toHaveTextContent(C.recovery.title);
    expect(section).toHaveAccessibleName(C.recovery.title);
    // The trade-off, said plainly before anything is made.
    expect(section).toHaveTextContent(C.recovery.intro);
    expect(section).toHaveTextContent(C.recovery.tradeoff);
    expect(section).toHaveTextContent(C.recovery.not_before);
    expect(section).toHaveTextContent(C.recovery.none);
    // Recovering is done offline, from the command line.
    expect(section).toHaveTextContent(C.recovery.recover);
    expect(within(section).getByTestId("recovery-command")).toHaveTextContent(/^sealpost cluster recover /);
    expect(within(section).queryByTestId("recovery-key-public")).toBeNull();
    expect(within(section).queryByTestId("recovery-key-remove")).toBeNull();
    expectNoRawKeys(missing);

    const passphrase = within(section).getByLabelText(c.onboarding.passphrase.label);
    const again = within(section).getByLabelText(c.onboarding.passphrase.again_label);
    const create = within(section).getByRole("button", { name: C.recovery.create });
    expect(create).toHaveAttribute("data-testid", "recovery-key-create");
    expect(section).toHaveTextContent(fill(C.recovery.passphrase_hint, { min: num(MIN_PASSPHRASE_CHARS) }));

    // Empty, too short, then not the same twice: no call, and the problem is said.
    await user.click(create);
    expect(await within(section).findByRole("alert")).toHaveTextContent(c.onboarding.passphrase.empty);
    await user.type(passphrase, "short");
    await user.type(again, "short");
    await user.click(create);
    expect(await within(section).findByRole("alert")).toHaveTextContent(
      fill(c.onboarding.passphrase.too_short, { min: num(MIN_PASSPHRASE_CHARS) }),
    );
    expect(passphrase).toHaveAttribute("aria-invalid", "true");
    await user.clear(passphrase);
    await user.clear(again);
    await user.type(passphrase, "correct horse battery staple");
    await user.type(again, "correct horse battery stapler");
    await user.click(create);
    expect(await within(section).findByRole("alert")).toHaveTextContent(c.onboarding.passphrase.mismatch);
    await waitFor(() => expect(again).toHaveFocus());
    expect(api.createRecoveryKey).not.toHaveBeenCalled();
    expectNoRawKeys(missing);

    // The save dialog closed: nothing changed, the passphrase stays for another try.
    await user.clear(again);
    await user.type(again, "correct horse battery staple");
    await user.click(create);
    expect(api.createRecoveryKey).toHaveBeenCalledWith("correct horse battery staple", C.recovery.save_title);
    expect(await screen.findByTestId("recovery-key-cancelled")).toHaveTextContent(C.recovery.cancelled);
    expect(screen.queryByTestId("roster-changed")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(passphrase).toHaveValue("correct horse battery staple");
    expectNoRawKeys(missing);

    // Saved: where, the new version, keep it offline.
    await user.click(create);
    expect(api.createRecoveryKey).toHaveBeenCalledTimes(2);
    expect(api.createRecoveryKey).toHaveBeenLastCalledWith("correct horse battery staple", C.recovery.save_title);
    const changed = await screen.findByTestId("roster-changed");
    expect(changed).toHaveAttribute("data-version", "5");
    expect(changed).toHaveTextContent(fill(C.changed.recovery_key_set, { version: num(5) }));
    expect(changed).toHaveTextContent(C.changed.recovery_key_saved);
    expect(within(changed).getByTestId("recovery-key-path")).toHaveTextContent("/media/usb/cluster-recovery.age");
    expect(changed).toHaveTextContent(C.changed.recovery_key_offline);
    expect(changed).toHaveTextContent(C.changed.on_relay);
    expect(screen.queryByTestId("recovery-key-cancelled")).toBeNull();
    expect(passphrase).toHaveValue("");
    expect(again).toHaveValue("");
    // The roster is read again.
    await waitFor(() => expect(vi.mocked(api.clusterView).mock.calls.length).toBeGreaterThan(2));
    expectNoRawKeys(missing);
  });

  it("shows a refused recovery key by its error code", async () => {
    const user = userEvent.setup();
    const api = clusterApi({
      createRecoveryKey: vi.fn(async () => {
        throw new ApiError("would-overwrite", "the file exists");
      }),
    });
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    const section = await screen.findByTestId("recovery-key-section");
    await user.type(within(section).getByLabelText(c.onboarding.passphrase.label), "correct horse battery staple");
    await user.type(within(section).getByLabelText(c.onboarding.passphrase.again_label), "correct horse battery staple");
    await user.click(screen.getByTestId("recovery-key-create"));
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["would-overwrite"]);
    expect(screen.queryByTestId("roster-changed")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("shows the coordinator the recovery key named, and stops using it only after asking", async () => {
    const user = userEvent.setup();
    const api = clusterApi({
      clusterView: vi.fn(async () => ({ ...view, recovery_key: RECOVERY_KEY })),
    });
    const { missing } = renderIn(language, <ClusterScreen api={api} session={coordinatorSession} feed={NO_SYNC} />);
    const section = await screen.findByTestId("recovery-key-section");
    const key = await within(section).findByTestId("recovery-key-public");
    expect(key).toHaveTextContent(RECOVERY_KEY);
    expect(key.tagName).toBe("CODE");
    expect(section).toHaveTextContent(C.recovery.named);
    expect(section).toHaveTextContent(C.recovery.public_label);
    expect(screen.getByTestId("cluster-recovery-status")).toHaveAttribute("data-recovery", "on");
    // No new key while one is named.
    expect(within(section).queryByTestId("recovery-key-create")).toBeNull();
    expect(within(section).queryByLabelText(c.onboarding.passphrase.label)).toBeNull();
    expectNoRawKeys(missing);

    const remove = within(section).getByRole("button", { name: C.recovery.remove });
    expect(remove).toHaveAttribute("data-testid", "recovery-key-remove");
    await user.click(remove);
    let dialog = screen.getByRole("dialog", { name: C.recovery.remove_title });
    expect(dialog).toHaveTextContent(C.recovery.remove_roster);
    expect(dialog).toHaveTextContent(C.recovery.remove_kept);
    expectNoRawKeys(missing);
    await user.click(within(dialog).getByRole("button", { name: C.recovery.remove_cancel }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(api.removeRecoveryKey).not.toHaveBeenCalled();
    expect(remove).toHaveFocus();

    await user.click(remove);
    dialog = screen.getByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: C.recovery.remove_confirm }));
    expect(api.removeRecoveryKey).toHaveBeenCalledOnce();
    const changed = await screen.findByTestId("roster-changed");
    expect(changed).toHaveAttribute("data-version", "6");
    expect(changed).toHaveTextContent(fill(C.changed.recovery_key_removed, { version: num(6) }));
    expect(changed).toHaveTextContent(C.changed.recovery_key_kept);
    expect(within(changed).queryByTestId("recovery-key-path")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("says when the relay could not be asked, and asks again on refresh and after a sync pass", async () => {
    const user = userEvent.setup();
    const api = clusterApi({
      joinRequests: vi.fn(async () => ({
        requests: requests.requests.slice(0, 1),
        relay_error: { code: "relay-unreachable", message: "timed out" },
      })),
    });
    const feed: SyncFeed = { ...NO_SYNC };
    const { missing, rerender, i18n } = renderIn(
      language,
      <ClusterScreen api={api} session={coordinatorSession} feed={feed} />,
    );
    const warning = await screen.findByTestId("requests-relay-error");
    expect(warning).toHaveTextContent(C.requests.relay_error);
    expect(warning).toHaveTextContent(c.errors["relay-unreachable"]);
    // The requests fetched earlier are still there.
    expect(screen.getAllByTestId("request-row")).toHaveLength(1);
    expectNoRawKeys(missing);

    await waitFor(() => expect(document.getElementById("refresh-requests")).toBeEnabled());
    const before = vi.mocked(api.joinRequests).mock.calls.length;
    await user.click(document.getElementById("refresh-requests")!);
    await waitFor(() => expect(vi.mocked(api.joinRequests).mock.calls.length).toBe(before + 1));

    // A finished sync pass reads them again.
    rerender(
      <I18nextProvider i18n={i18n}>
        <ClusterScreen api={api} session={coordinatorSession} feed={{ ...feed, passes: 1 }} />
      </I18nextProvider>,
    );
    await waitFor(() => expect(vi.mocked(api.joinRequests).mock.calls.length).toBe(before + 2));
  });
});

/** The approve button of a request row. */
function approveButton(row: HTMLElement): HTMLElement {
  return row.querySelector<HTMLElement>("[data-action=approve]")!;
}
