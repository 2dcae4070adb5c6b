import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { App, SCREENS } from "./App";
import type { OpenOutcome } from "./bindings/OpenOutcome";
import { LANGUAGE_STORAGE_KEY } from "./i18n";
import { en, my } from "./i18n";
import { fakeApi } from "./test/fakeApi";
import {
  card,
  concernEntries,
  rightsRequestEntries,
  contactList,
  idleStatus,
  inboxEntries,
  outboxEntries,
  sentEntries,
  memberCluster,
} from "./test/fixtures";
import { isRawKey, renderIn, visibleTexts } from "./test/render";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  const raw = visibleTexts(document.body).filter(isRawKey);
  expect(raw).toEqual([]);
  expect(missing).toEqual([]);
}

/** The nav button of a screen, by the attribute the end-to-end test uses. */
function navButton(name: string): HTMLElement {
  const button = document.querySelector<HTMLElement>(`nav [data-screen="${name}"]`);
  if (!button) throw new Error(`no nav button for ${name}`);
  return button;
}

/** A fake shell with something on every list. */
function busyApi() {
  return fakeApi({
    contacts: vi.fn(async () => contactList),
    inbox: vi.fn(async () => inboxEntries),
    outbox: vi.fn(async () => outboxEntries),
    sent: vi.fn(async () => sentEntries),
    concerns: vi.fn(async () => concernEntries),
    rightsRequests: vi.fn(async () => rightsRequestEntries),
  });
}

describe.each(["en", "my"] as const)("App (%s)", (language) => {
  const c = catalogues[language];

  it("renders every screen and the whole send flow without a raw key", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    const { missing } = renderIn(language, <App api={api} />);

    expect(document.documentElement.lang).toBe(language);
    await screen.findByText(c.header.identity.replace("{{name}}", card.name));
    expect(screen.getByText(card.fingerprint)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("sync-indicator")).toHaveAttribute("data-state", "online"));
    expect(screen.getByRole("heading", { level: 1, name: c.send.title })).toBeInTheDocument();
    expectNoRawKeys(missing);

    // Every screen has its nav button (data-screen) and title; the lists show their rows.
    for (const item of SCREENS.filter((s) => s !== "send")) {
      await user.click(navButton(item));
      expect(screen.getByRole("heading", { level: 1, name: c.screens[item].title })).toBeInTheDocument();
      expect(navButton(item)).toHaveAttribute("aria-current", "page");
      expect(navButton(item)).toHaveAccessibleName(c.nav[item]);
      if (item !== "cluster" && item !== "settings") {
        // The concerns screen names its rows in the singular (`concern-row`).
        await screen.findAllByTestId(item === "concerns" ? "concern-row" : `${item}-row`);
      }
      expectNoRawKeys(missing);
    }

    // Send: pick → what the scan found.
    await user.click(navButton("send"));
    await user.click(screen.getByRole("button", { name: c.send.pick.button }));
    expect(api.pickFiles).toHaveBeenCalledOnce();
    expect(api.scanFiles).toHaveBeenCalledWith(["/home/aye/beneficiaries.csv", "/home/aye/scan.pdf"]);
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    expect(screen.getByText(/It contains phone numbers\./)).toBeInTheDocument();
    expect(screen.getAllByText(c.reason.phone).length).toBeGreaterThan(0);
    expect(screen.getByText("09•••••4567")).toBeInTheDocument();
    expect(screen.getByText(c.send.review.whole_sheet)).toBeInTheDocument();
    expect(screen.getByText(c.send.review.not_scanned)).toBeInTheDocument();
    expect(screen.getByText(/Zawgyi-encoded/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 2 })).toHaveFocus();
    expectNoRawKeys(missing);

    // → label: lower needs a reason.
    await user.click(screen.getByRole("button", { name: c.common.next }));
    expect(screen.getByRole("radio", { checked: true })).toHaveAttribute("value", "highly-confidential");
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${c.label.confidential.name}`) }));
    const next = screen.getByRole("button", { name: c.common.next });
    expect(next).toBeDisabled();
    await user.type(screen.getByRole("textbox", { name: c.label_chooser.reason_label }), "only IMO staff will see it");
    await user.click(next);

    // → recipients: the IMOs are ticked, the partner is not.
    const boxes = await screen.findAllByRole<HTMLInputElement>("checkbox");
    const recipients = document.querySelectorAll<HTMLInputElement>('input[type="checkbox"][name="recipient"]');
    expect(boxes).toHaveLength(3);
    expect([...recipients].map((box) => [box.value, box.checked])).toEqual([
      ["imo-1", true],
      ["imo-2", true],
      ["p-9", false],
    ]);
    expect(screen.getByText(c.send.recipients.override.replace("{{reason}}", "only IMO staff will see it"))).toBeInTheDocument();
    expect(screen.getAllByText(c.role.imo).length).toBeGreaterThan(0);
    expectNoRawKeys(missing);

    await user.click(screen.getByRole("checkbox", { name: /U Zaw/ }));
    await user.type(document.getElementById("note")!, "for the March report");
    const send = document.getElementById("send")!;
    expect(send).toBeEnabled();
    await user.click(send);
    expect(api.send).toHaveBeenCalledWith({
      files: ["/home/aye/beneficiaries.csv", "/home/aye/scan.pdf"],
      to: ["imo-1", "imo-2", "p-9"],
      label: "confidential",
      override_reason: "only IMO staff will see it",
      note: "for the March report",
    });

    // → sealed, in the outbox.
    const result = await screen.findByTestId("send-result");
    expect(result).toHaveAttribute("data-parcel-id", "new-1");
    expect(result).toHaveTextContent(c.send.result.title);
    expectNoRawKeys(missing);
    await user.click(within(result).getByRole("button", { name: c.send.result.again }));
    expect(screen.getByRole("button", { name: c.send.pick.button })).toBeEnabled();
  });

  it("keeps Send disabled without recipients, and says why", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    const { missing } = renderIn(language, <App api={api} />);
    await goToRecipients(user, c);
    await screen.findByRole("checkbox", { name: /Ko Min Thu/ });
    await user.click(screen.getByRole("checkbox", { name: /Ko Min Thu/ }));
    await user.click(screen.getByRole("checkbox", { name: /Ma Hnin/ }));
    const send = document.getElementById("send")!;
    expect(send).toBeDisabled();
    expect(send).toHaveAccessibleDescription(c.send.recipients.none_chosen);
    await user.click(send);
    expect(api.send).not.toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("explains that the roster is needed when there is nobody to send to", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ contacts: vi.fn(async () => []) });
    const { missing } = renderIn(language, <App api={api} />);
    await goToRecipients(user, c);
    expect(await screen.findByTestId("no-roster")).toHaveTextContent(c.send.recipients.empty);
    expect(document.getElementById("send")).toBeDisabled();
    expectNoRawKeys(missing);
  });

  it("says a send error by its code (label below the suggestion)", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    api.send = vi.fn(async () => {
      throw new ApiError("label-below-suggestion", "the label is below the suggestion");
    });
    const { missing } = renderIn(language, <App api={api} />);
    await goToRecipients(user, c);
    await screen.findByRole("checkbox", { name: /Ko Min Thu/ });
    await user.click(document.getElementById("send")!);
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["label-below-suggestion"]);
    expect(document.getElementById("send")).toBeEnabled();
    expectNoRawKeys(missing);
  });

  it("shows a shell error by its code, with Rust's message only as details", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      scanFiles: vi.fn(async () => {
        throw new ApiError("scan-timeout", "The scan took longer than 15 minutes.");
      }),
    });
    const { missing } = renderIn(language, <App api={api} />);
    await user.click(await screen.findByRole("button", { name: c.send.pick.button }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.generic.replace("{{code}}", "scan-timeout"));
    expect(alert).toHaveTextContent("The scan took longer than 15 minutes.");
    expect(screen.getByRole("button", { name: c.send.pick.button })).toBeEnabled();
    expectNoRawKeys(missing);
  });

  it("says when the file dialog is not available", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      pickFiles: async () => {
        throw new ApiError("not-available", "no dialog");
      },
    });
    const { missing } = renderIn(language, <App api={api} />);
    await user.click(await screen.findByRole("button", { name: c.send.pick.button }));
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["not-available"]);
    expectNoRawKeys(missing);
  });

  it("unlocks with the passphrase, and says a wrong one next to the field", async () => {
    const user = userEvent.setup();
    const unlock = vi.fn(async (passphrase: string | null) => {
      if (passphrase !== "correct horse battery") throw new ApiError("wrong-passphrase", "wrong passphrase");
      return { card, unlocked: true, needs_passphrase: true, cluster: memberCluster };
    });
    const api = fakeApi({
      session: vi.fn(async () => ({ card, unlocked: false, needs_passphrase: true, cluster: memberCluster })),
      unlock,
    });
    const { missing } = renderIn(language, <App api={api} />);
    const field = await screen.findByLabelText(c.unlock.passphrase_label);
    expect(field).toHaveAttribute("id", "passphrase");
    // The focus moves in an effect after the field renders: wait for it rather than race it.
    await waitFor(() => expect(field).toHaveFocus());
    // Locked: no screens, no sync.
    expect(screen.queryByRole("navigation")).toBeNull();
    expect(screen.queryByTestId("sync-indicator")).toBeNull();
    expectNoRawKeys(missing);

    await user.type(field, "wrong one");
    await user.click(document.getElementById("unlock")!);
    expect(unlock).toHaveBeenCalledWith("wrong one");
    const problem = await screen.findByText(c.errors["wrong-passphrase"]);
    expect(problem).toHaveAttribute("role", "alert");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveAccessibleDescription(c.errors["wrong-passphrase"]);
    await waitFor(() => expect(field).toHaveFocus());
    expectNoRawKeys(missing);

    await user.clear(field);
    await user.type(field, "correct horse battery{Enter}");
    expect(unlock).toHaveBeenLastCalledWith("correct horse battery");
    await screen.findByRole("navigation", { name: c.nav.label });
    expect(screen.getByRole("heading", { level: 1, name: c.send.title })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("sync-indicator")).toHaveAttribute("data-state", "online"));
    expect(api.onSyncStatus).toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("unlocks from the keyring with one button", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ session: vi.fn(async () => ({ card, unlocked: false, needs_passphrase: false, cluster: memberCluster })) });
    const { missing } = renderIn(language, <App api={api} />);
    await screen.findByText(c.unlock.keyring);
    expect(document.getElementById("passphrase")).toBeNull();
    await user.click(document.getElementById("unlock")!);
    expect(api.unlock).toHaveBeenCalledWith(null);
    await screen.findByRole("navigation", { name: c.nav.label });
    expectNoRawKeys(missing);
  });

  it("asks a new computer to create its identity or restore a backup", async () => {
    const api = fakeApi({ session: vi.fn(async () => ({ card: null, unlocked: false, needs_passphrase: false, cluster: null })) });
    const { missing } = renderIn(language, <App api={api} />);
    expect(await screen.findByRole("heading", { level: 1, name: c.onboarding.title })).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 2, name: c.onboarding.create.title })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: c.onboarding.restore.button })).toBeInTheDocument();
    expect(screen.getByText(c.header.no_identity)).toBeInTheDocument();
    expect(screen.queryByRole("navigation")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("opens parcels in bulk after confirming highly confidential data, and reports each", async () => {
    const user = userEvent.setup();
    const outcomes: OpenOutcome[] = [
      {
        parcel_id: "p-hc",
        opened: {
          parcel_id: "p-hc",
          dir: "/home/aye/.local/share/sealpost/opened/p-hc",
          managed: true,
          files: inboxEntries[0]!.files,
          label: "highly-confidential",
          receipt_queued: true,
        },
        error: null,
      },
      {
        parcel_id: "p-restricted",
        opened: null,
        error: { code: "sender-key-mismatch", message: "signed with a key the roster does not hold" },
      },
    ];
    const api = busyApi();
    api.openParcels = vi.fn(async () => outcomes);
    const { missing } = renderIn(language, <App api={api} />);
    await user.click(await findNav("inbox"));
    const rows = await screen.findAllByTestId("inbox-row");
    expect(rows.map((row) => row.dataset.parcelId)).toEqual(["p-hc", "p-restricted", "p-expired"]);
    expect(within(rows[0]!).getByTestId("sender-verified")).toHaveTextContent(c.inbox.sender.verified);
    expect(within(rows[1]!).queryByTestId("sender-verified")).toBeNull();
    expect(within(rows[1]!).getByText(c.inbox.sender.unverified)).toBeInTheDocument();
    expect(rows[0]!.querySelector("[data-label]")).toHaveAttribute("data-label", "highly-confidential");
    expect(within(rows[0]!).getByText("ဒီလစာရင်း — March list")).toBeInTheDocument();
    expect(rows[2]!.querySelector(".open-parcel")).toBeDisabled();
    expectNoRawKeys(missing);

    // Cancel first: nothing is opened and focus goes back.
    const single = rows[0]!.querySelector<HTMLElement>(".open-parcel")!;
    await user.click(single);
    let dialog = screen.getByRole("dialog", { name: c.inbox.confirm.title });
    expect(dialog).toHaveTextContent(c.inbox.confirm.unencrypted);
    expect(dialog).toHaveTextContent(c.inbox.confirm.policy);
    expectNoRawKeys(missing);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(api.openParcels).not.toHaveBeenCalled();
    expect(single).toHaveFocus();

    // Tick two, open them together.
    await user.click(within(rows[0]!).getByRole("checkbox"));
    await user.click(within(rows[1]!).getByRole("checkbox"));
    await user.click(document.getElementById("open-selected")!);
    dialog = screen.getByRole("dialog");
    expect(api.openParcels).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole("button", { name: c.inbox.confirm.open }));
    expect(document.getElementById("confirm-open")).toBeNull();
    expect(api.openParcels).toHaveBeenCalledWith(["p-hc", "p-restricted"], null);

    const report = await screen.findByTestId("open-report");
    const items = within(report).getAllByRole("listitem");
    expect(items.map((item) => [item.dataset.parcelId, item.dataset.outcome])).toEqual([
      ["p-hc", "opened"],
      ["p-restricted", "failed"],
    ]);
    expect(items[0]).toHaveTextContent("/home/aye/.local/share/sealpost/opened/p-hc");
    expect(items[1]).toHaveTextContent(c.errors["sender-key-mismatch"]);
    expectNoRawKeys(missing);
  });

  it("opens into a chosen folder, without asking for data that is not highly confidential", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    api.pickFolder = vi.fn(async () => "/home/aye/Desktop");
    renderIn(language, <App api={api} />);
    await user.click(await findNav("inbox"));
    const rows = await screen.findAllByTestId("inbox-row");
    await user.click(within(rows[1]!).getByRole("checkbox"));
    await user.click(document.getElementById("open-selected-folder")!);
    expect(screen.queryByRole("dialog")).toBeNull();
    await waitFor(() => expect(api.openParcels).toHaveBeenCalledWith(["p-restricted"], "/home/aye/Desktop"));
  });

  it("shows the sharing log with each recipient's receipts", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    const { missing } = renderIn(language, <App api={api} />);
    await user.click(await findNav("sent"));
    const [row] = await screen.findAllByTestId("sent-row");
    expect(row).toHaveAttribute("data-parcel-id", "s-1");
    expect(row).toHaveTextContent("survey.xlsx");
    expect(row!.querySelector("[data-label]")).toHaveAttribute("data-label", "confidential");
    expect(row).toHaveTextContent(c.sent.status.sent);
    const [first, second] = within(row!).getAllByRole("listitem").filter((li) => li.dataset.memberId);
    expect([...first!.querySelectorAll("[data-receipt]")].map((chip) => chip.getAttribute("data-receipt"))).toEqual([
      "delivered",
      "opened",
    ]);
    expect(first).toHaveTextContent(c.sent.event.opened);
    expect(second).toHaveTextContent(c.sent.no_receipt);
    expectNoRawKeys(missing);
  });

  it("follows the sync: indicator, outbox progress and refreshes", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    const { missing } = renderIn(language, <App api={api} />);
    await user.click(await findNav("outbox"));
    const [row] = await screen.findAllByTestId("outbox-row");
    expect(row).toHaveAttribute("data-parcel-id", "o-1");
    expect(row!.querySelector("progress")).toHaveAttribute("value", "500000");
    expect(row).toHaveTextContent("the relay could not be reached");
    const calls = vi.mocked(api.outbox).mock.calls.length;

    act(() =>
      api.emitSync({ ...idleStatus, running: true, transfer: { phase: "uploading", done: 600_000, total: 2_000_000 } }),
    );
    expect(screen.getByTestId("sync-indicator")).toHaveAttribute("data-state", "syncing");
    expect(screen.getByTestId("current-transfer")).toHaveTextContent(c.phase.uploading);
    await waitFor(() => expect(vi.mocked(api.outbox).mock.calls.length).toBeGreaterThan(calls));
    expectNoRawKeys(missing);

    act(() => api.emitSync({ ...idleStatus, online: false, last_pass_at: "2025-03-05T10:01:00Z" }));
    expect(screen.getByTestId("sync-indicator")).toHaveAttribute("data-state", "offline");
    expect(screen.getByText(c.outbox.offline)).toBeInTheDocument();

    await user.click(document.getElementById("sync-now")!);
    expect(api.syncNow).toHaveBeenCalledOnce();
    expectNoRawKeys(missing);
  });
});

describe("inbox refresh", () => {
  it("reads the inbox again after a pass that received something", async () => {
    const user = userEvent.setup();
    const api = busyApi();
    renderIn("en", <App api={api} />);
    await user.click(await findNav("inbox"));
    await screen.findAllByTestId("inbox-row");
    const calls = vi.mocked(api.inbox).mock.calls.length;
    // Progress events do not reload it...
    act(() => api.emitSync({ ...idleStatus, running: true }));
    act(() => api.emitSync({ ...idleStatus, running: true, transfer: { phase: "downloading", done: 1, total: 2 } }));
    expect(vi.mocked(api.inbox).mock.calls.length).toBe(calls);
    // ...a pass that received a parcel does.
    act(() =>
      api.emitSync({
        ...idleStatus,
        last_pass_at: "2025-03-05T10:02:00Z",
        report: {
          relay: "https://relay.example.org",
          reached_relay: true,
          roster_version: 3,
          sent: [],
          waiting: [],
          received: [{ parcel_id: "p-new", kind: "data", sender: contactList[0]!, summary: "restricted" }],
          rejected: [],
          erased: [],
          expired: [],
          problems: [],
        },
      }),
    );
    await waitFor(() => expect(vi.mocked(api.inbox).mock.calls.length).toBe(calls + 1));
  });

  it("says so when the outbox is empty", async () => {
    const user = userEvent.setup();
    renderIn("en", <App api={fakeApi()} />);
    await user.click(await findNav("outbox"));
    expect(await screen.findByText("Nothing waiting: everything was delivered to the relay.")).toBeInTheDocument();
  });
});

describe("language switch", () => {
  it("switches the whole app, <html lang>, and remembers the choice", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ session: async () => ({ card: null, unlocked: false, needs_passphrase: false, cluster: null }) });
    const { missing } = renderIn("en", <App api={api} />);
    await screen.findByText(en.header.no_identity);
    expect(screen.getByRole("button", { name: "English" })).toHaveAttribute("aria-pressed", "true");

    await user.click(screen.getByRole("button", { name: "မြန်မာ" }));
    await waitFor(() => expect(document.documentElement.lang).toBe("my"));
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe("my");
    expect(screen.getByRole("button", { name: "မြန်မာ" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByText(my.header.no_identity)).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1, name: my.onboarding.title })).toBeInTheDocument();
    expect(screen.queryByText(en.onboarding.title)).toBeNull();
    expectNoRawKeys(missing);

    await user.click(screen.getByRole("button", { name: "English" }));
    await waitFor(() => expect(document.documentElement.lang).toBe("en"));
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe("en");
  });

  it("is reachable and usable with the keyboard alone", async () => {
    const user = userEvent.setup();
    renderIn("en", <App api={fakeApi()} />);
    await screen.findByTestId("sync-indicator");
    await user.tab(); // skip link
    expect(screen.getByRole("link", { name: en.nav.skip })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: en.sync.now })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "English" })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "မြန်မာ" })).toHaveFocus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(document.documentElement.lang).toBe("my"));
    await user.tab();
    expect(screen.getByRole("button", { name: my.nav.send })).toHaveFocus();
  });
});

describe("raw-key detector", () => {
  it("flags keys and leaves file names alone", async () => {
    expect(isRawKey("send.review.title")).toBe(true);
    expect(isRawKey("reason.admin4_location")).toBe(true);
    expect(isRawKey("errors.ipc-unavailable")).toBe(true);
    expect(isRawKey("beneficiaries.csv")).toBe(false);
    expect(isRawKey("Send files")).toBe(false);
  });
});

/** Waits for the app to unlock and returns a nav button. */
async function findNav(name: string): Promise<HTMLElement> {
  await screen.findByRole("navigation");
  return navButton(name);
}

/** Pick → review → label (the suggestion) → recipients. */
async function goToRecipients(user: ReturnType<typeof userEvent.setup>, c: typeof en) {
  await user.click(await screen.findByRole("button", { name: c.send.pick.button }));
  await screen.findByRole("region", { name: "beneficiaries.csv" });
  await user.click(screen.getByRole("button", { name: c.common.next }));
  await user.click(screen.getByRole("button", { name: c.common.next }));
  await screen.findByRole("heading", { level: 2, name: new RegExp(c.send.steps.recipients) });
}
