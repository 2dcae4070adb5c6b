import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, requestAccess, rightsRequests, updateRequest } from "../api";
import { App } from "../App";
import type { RightsRequest } from "../bindings/RightsRequest";
import { MAX_NOTE_CHARS, REQUEST_STATUSES } from "../bindings/limits";
import { formatDateTime, formatList, formatNumber } from "../format";
import { en, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { sentEntries, sentWithProduct } from "../test/fixtures";
import { fill, isRawKey, renderIn, visibleTexts } from "../test/render";
import { RightsScreen } from "./RightsScreen";

// The wrappers' command names and argument names, as the shell expects them.
const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const catalogues = { en, my } as const;

const me = { member_id: "m-1", name: "Daw Aye Aye", org: "Shwe Partners" };
const koMinThu = { member_id: "imo-1", name: "Ko Min Thu", org: "Cluster IMO team" };
const maHnin = { member_id: "imo-2", name: "Ma Hnin", org: "Cluster IMO team" };
const uZaw = { member_id: "p-9", name: "U Zaw", org: "Yoma Relief" };

const LONG_ID = "3f9a1c2e7b6d4a10c0ffee00c0ffee00";

/**
 * Newest first, as the shell lists them: two requests this member made that went overdue (an
 * access request about everything, answered differently by two IMOs, and a deletion nobody
 * answered yet), one received from another partner and overdue, one received and on time,
 * and a correction this member made that is closed.
 */
const requests: RightsRequest[] = [
  {
    request_id: "r-made-access",
    right: "access",
    direction: "made",
    about: null,
    requester: me,
    note: "Every copy you hold of our October list, and what was made from it.",
    requested_at: "2025-03-01T08:00:00Z",
    due_at: "2025-03-31T08:00:00Z",
    open: true,
    overdue: true,
    status: "acknowledged",
    handlers: [
      {
        person: koMinThu,
        status: "in-progress",
        events: [
          { status: "received", at: "2025-03-01T09:00:00Z", note: null },
          { status: "in-progress", at: "2025-03-02T10:00:00Z", note: "Collecting the copies from the 4W database." },
        ],
      },
      {
        person: maHnin,
        status: "acknowledged",
        events: [
          { status: "received", at: "2025-03-01T09:30:00Z", note: null },
          { status: "acknowledged", at: "2025-03-03T11:00:00Z", note: "ကျွန်ုပ်တို့ စစ်ဆေးနေပါသည်။" },
        ],
      },
    ],
  },
  {
    request_id: "r-made-deletion",
    right: "deletion",
    direction: "made",
    about: "s-1",
    requester: me,
    note: null,
    requested_at: "2025-02-20T08:00:00Z",
    due_at: "2025-03-22T08:00:00Z",
    open: true,
    overdue: true,
    status: "requested",
    handlers: [{ person: koMinThu, status: "requested", events: [] }],
  },
  {
    request_id: "r-received-deletion",
    right: "deletion",
    direction: "received",
    about: LONG_ID,
    requester: uZaw,
    note: "Please delete the list we sent by mistake.",
    requested_at: "2025-02-15T07:00:00Z",
    due_at: "2025-03-17T07:00:00Z",
    open: true,
    overdue: true,
    status: "received",
    handlers: [{ person: me, status: "received", events: [{ status: "received", at: "2025-02-15T07:05:00Z", note: null }] }],
  },
  {
    request_id: "r-received-correction",
    right: "correction",
    direction: "received",
    about: "c-2",
    requester: uZaw,
    note: null,
    requested_at: "2025-02-10T07:00:00Z",
    due_at: "2025-03-12T07:00:00Z",
    open: true,
    overdue: false,
    status: "acknowledged",
    handlers: [
      {
        person: me,
        status: "acknowledged",
        events: [
          { status: "received", at: "2025-02-10T07:05:00Z", note: null },
          { status: "acknowledged", at: "2025-02-11T07:00:00Z", note: null },
        ],
      },
    ],
  },
  {
    request_id: "r-made-done",
    right: "correction",
    direction: "made",
    about: "s-2",
    requester: me,
    note: null,
    requested_at: "2025-01-05T07:00:00Z",
    due_at: "2025-02-04T07:00:00Z",
    open: false,
    overdue: false,
    status: "done",
    handlers: [
      {
        person: koMinThu,
        status: "done",
        events: [{ status: "done", at: "2025-01-06T07:00:00Z", note: "Replaced the figures in the 4W dashboard." }],
      },
    ],
  },
];

describe("rights request commands", () => {
  it("call the shell by name, with camelCase argument names", async () => {
    invoke.mockResolvedValue([]);
    await rightsRequests();
    expect(invoke).toHaveBeenLastCalledWith("rights_requests", undefined);
    await requestAccess(null, "note");
    expect(invoke).toHaveBeenLastCalledWith("request_access", { about: null, note: "note" });
    await updateRequest("r-1", "declined", "why");
    expect(invoke).toHaveBeenLastCalledWith("update_request", { requestId: "r-1", status: "declined", note: "why" });
  });
});

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

function rowOf(id: string): HTMLElement {
  const row = screen.getAllByTestId("rights-row").find((element) => element.dataset.requestId === id);
  if (!row) throw new Error(`no rights-row ${id}`);
  return row;
}

function rowIds(): string[] {
  return screen.queryAllByTestId("rights-row").map((row) => row.dataset.requestId!);
}

function accessNote(): HTMLTextAreaElement {
  return document.getElementById("rights-access-note") as HTMLTextAreaElement;
}

function accessButton(): HTMLButtonElement {
  return document.getElementById("rights-request-access") as HTMLButtonElement;
}

function answerButton(row: HTMLElement): HTMLButtonElement {
  return row.querySelector<HTMLButtonElement>('[data-action="answer-request"]')!;
}

describe.each(["en", "my"] as const)("Rights requests (%s)", (language) => {
  const c = catalogues[language];
  const R = c.rights;
  /** The plural form i18next picks for `count` in this language (Burmese has only `other`). */
  const plural = (count: number) => new Intl.PluralRules(language).select(count) as "one" | "other";

  it("lists made and received requests with their status, answers, due dates and what is overdue", async () => {
    const api = fakeApi({ rightsRequests: vi.fn(async () => requests), sent: vi.fn(async () => sentEntries) });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    expect(screen.getByRole("heading", { level: 1, name: c.screens.rights.title })).toBeInTheDocument();
    expect(screen.getByText(R.intro)).toBeInTheDocument();
    await screen.findAllByTestId("rights-row");
    expect(screen.queryByTestId("rights-empty")).toBeNull();
    // As the shell gave them, newest first.
    expect(rowIds()).toEqual(requests.map((request) => request.request_id));

    // The summary counts overdue requests on each side, in the language's plural.
    const summary = screen.getByTestId("rights-overdue-summary");
    expect(within(summary).getByTestId("rights-overdue-received")).toHaveTextContent(
      fill(R.overdue[`received_${plural(1)}`], { number: formatNumber(1, language) }),
    );
    expect(within(summary).getByTestId("rights-overdue-made")).toHaveTextContent(
      fill(R.overdue[`made_${plural(2)}`], { number: formatNumber(2, language) }),
    );
    if (language === "en") {
      expect(summary).toHaveTextContent("1 request overdue — answer it first.");
      expect(summary).toHaveTextContent("2 of your requests are overdue.");
    }

    // An access request made about everything sent, answered by two IMOs.
    const access = rowOf("r-made-access");
    expect(within(access).getByRole("heading", { level: 3 })).toHaveTextContent(`${R.right.access} ${R.made}`);
    expect(within(access).getByTestId("rights-status")).toHaveTextContent(R.status.acknowledged);
    expect(within(access).getByTestId("rights-status")).toHaveAttribute("data-status", "acknowledged");
    expect(within(access).getByTestId("rights-overdue")).toHaveTextContent(R.overdue_badge);
    expect(within(access).getByTestId("rights-open")).toHaveTextContent(R.open);
    expect(within(access).getByTestId("rights-about")).toHaveTextContent(`${R.about_label} ${R.about_everything}`);
    expect(within(access).getByTestId("rights-note")).toHaveTextContent(
      "Every copy you hold of our October list, and what was made from it.",
    );
    expect(within(access).getByTestId("rights-requested-at")).toHaveTextContent(
      fill(R.requested_at, { time: formatDateTime("2025-03-01T08:00:00Z", language) }),
    );
    expect(within(access).getByTestId("rights-due-at")).toHaveTextContent(
      fill(R.due_at, { time: formatDateTime("2025-03-31T08:00:00Z", language) }),
    );
    const handlers = within(access).getAllByTestId("rights-handler");
    expect(handlers.map((handler) => handler.dataset.memberId)).toEqual(["imo-1", "imo-2"]);
    expect(handlers[0]).toHaveTextContent("Ko Min Thu (Cluster IMO team)");
    expect(handlers[0]).toHaveTextContent(R.status["in-progress"]);
    const events = within(handlers[0]!).getAllByTestId("rights-event");
    expect(events.map((event) => event.dataset.status)).toEqual(["received", "in-progress"]);
    expect(events[0]!.closest("ol")).toHaveAccessibleName(fill(R.handlers.events, { name: "Ko Min Thu" }));
    expect(events[0]).toHaveTextContent(R.status.received);
    expect(events[0]).toHaveTextContent(formatDateTime("2025-03-01T09:00:00Z", language));
    expect(events[1]).toHaveTextContent(R.status["in-progress"]);
    expect(events[1]).toHaveTextContent("Collecting the copies from the 4W database.");
    expect(within(handlers[1]!).getAllByTestId("rights-event")[1]).toHaveTextContent("ကျွန်ုပ်တို့ စစ်ဆေးနေပါသည်။");
    // Only requests received can be answered.
    expect(within(access).queryByTestId("rights-answer-form")).toBeNull();

    // A deletion made about a parcel this member sent: named by its files; nobody answered yet.
    const deletion = rowOf("r-made-deletion");
    expect(within(deletion).getByTestId("rights-right")).toHaveTextContent(R.right.deletion);
    expect(within(deletion).getByTestId("rights-status")).toHaveTextContent(R.status.requested);
    expect(within(deletion).getByTestId("rights-about")).toHaveTextContent("s-1 (survey.xlsx)");
    expect(within(deletion).getByTestId("rights-note")).toHaveTextContent(R.no_note);
    expect(within(deletion).getByTestId("rights-handler")).toHaveTextContent(R.handlers.none);
    expect(within(deletion).queryByTestId("rights-event")).toBeNull();

    // Received from another partner, overdue, with a form to answer it.
    const received = rowOf("r-received-deletion");
    expect(received).toHaveAttribute("data-direction", "received");
    expect(within(received).getByTestId("rights-direction")).toHaveTextContent(
      fill(R.received, { name: "U Zaw", org: "Yoma Relief" }),
    );
    expect(within(received).getByTestId("rights-status")).toHaveTextContent(R.status.received);
    expect(within(received).getByTestId("rights-overdue")).toBeInTheDocument();
    // A long parcel id is shortened, the whole of it kept in the title.
    const about = within(received).getByTestId("rights-about").querySelector("code")!;
    expect(about).toHaveTextContent("3f9a1c2e…");
    expect(about).toHaveAttribute("title", LONG_ID);
    const form = within(received).getByTestId("rights-answer-form");
    expect(within(form).getByRole("group", { name: R.answer.legend })).toBeInTheDocument();
    const options = within(within(form).getByLabelText(R.answer.status)).getAllByRole("option");
    expect(options.map((option) => (option as HTMLOptionElement).value)).toEqual([...REQUEST_STATUSES]);
    expect(options.map((option) => option.textContent)).toEqual(REQUEST_STATUSES.map((status) => R.status[status]));
    // Next step first: a request received is acknowledged, one acknowledged goes in progress.
    expect((within(form).getByLabelText(R.answer.status) as HTMLSelectElement).value).toBe("acknowledged");
    const onTime = rowOf("r-received-correction");
    expect(within(onTime).queryByTestId("rights-overdue")).toBeNull();
    expect((within(onTime).getByLabelText(R.answer.status) as HTMLSelectElement).value).toBe("in-progress");

    // Closed: said in words, not answerable, not overdue.
    const closed = rowOf("r-made-done");
    expect(closed).toHaveAttribute("data-open", "false");
    expect(within(closed).getByTestId("rights-open")).toHaveTextContent(R.closed);
    expect(within(closed).getByTestId("rights-status")).toHaveTextContent(R.status.done);
    expect(within(closed).getByTestId("rights-right")).toHaveTextContent(R.right.correction);
    expect(within(closed).getByTestId("rights-event")).toHaveTextContent("Replaced the figures in the 4W dashboard.");
    expect(within(closed).queryByTestId("rights-overdue")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("shows no summary when nothing is overdue, and says when there are no requests", async () => {
    const api = fakeApi({ rightsRequests: vi.fn(async () => [requests[3]!, requests[4]!]) });
    const { missing, unmount } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("rights-row");
    expect(screen.queryByTestId("rights-overdue-summary")).toBeNull();
    expect(screen.queryByTestId("rights-overdue")).toBeNull();
    expectNoRawKeys(missing);
    unmount();

    renderIn(language, <RightsScreen api={fakeApi()} feed={NO_SYNC} />);
    expect(await screen.findByTestId("rights-empty")).toHaveTextContent(R.list.empty);
    expect(screen.queryByTestId("rights-only-open")).toBeNull();
  });

  it("asks for access about everything, then about one parcel, and reads the list again", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      sent: vi.fn(async () => [...sentEntries, sentWithProduct]),
      requestAccess: vi.fn(async () => ({
        parcel_id: "access-1",
        kind: "access-request",
        size: 10,
        recipients: ["Ko Min Thu", "Ma Hnin"],
      })),
    });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findByTestId("rights-empty");
    const form = screen.getByTestId("rights-access-form");
    expect(screen.getByRole("heading", { level: 2, name: R.access.title })).toBeInTheDocument();

    const note = within(form).getByLabelText(R.access.note_label);
    expect(note).toBe(accessNote());
    expect(note).toBeRequired();
    expect(note).toHaveAttribute("maxLength", String(MAX_NOTE_CHARS));
    expect(note).toHaveAccessibleDescription(fill(R.access.note_hint, { max: formatNumber(MAX_NOTE_CHARS, language) }));

    // The parcels this member sent, by their files and date, after "everything".
    const about = within(form).getByLabelText(R.access.about_label) as HTMLSelectElement;
    await waitFor(() => expect(within(about).getAllByRole("option")).toHaveLength(3));
    const options = within(about).getAllByRole("option") as HTMLOptionElement[];
    expect(options.map((option) => option.value)).toEqual(["", "s-1", "s-2"]);
    expect(options[0]).toHaveTextContent(R.access.about_all);
    expect(options[1]).toHaveTextContent(
      fill(R.access.about_option, { files: "survey.xlsx", time: formatDateTime("2025-03-01T08:00:00Z", language) }),
    );
    expect(options[2]).toHaveTextContent("distribution-feb.csv");
    expect(about.value).toBe("");

    await user.type(note, "  What do you hold of our lists?  ");
    const loads = vi.mocked(api.rightsRequests).mock.calls.length;
    await user.click(accessButton());
    expect(api.requestAccess).toHaveBeenCalledTimes(1);
    expect(api.requestAccess).toHaveBeenCalledWith(null, "What do you hold of our lists?");
    const notice = await screen.findByTestId("rights-access-sent");
    expect(notice).toHaveTextContent(fill(R.access.done, { recipients: formatList(["Ko Min Thu", "Ma Hnin"], language) }));
    expect(notice.closest('[role="status"]')).not.toBeNull();
    expect(accessNote().value).toBe("");
    await waitFor(() => expect(vi.mocked(api.rightsRequests).mock.calls.length).toBeGreaterThan(loads));

    // About one parcel; then the form is back to everything.
    await user.type(accessNote(), "Who has opened our February distribution list?");
    await user.selectOptions(about, "s-2");
    await user.click(accessButton());
    expect(api.requestAccess).toHaveBeenLastCalledWith("s-2", "Who has opened our February distribution list?");
    await waitFor(() => expect(about.value).toBe(""));
    expectNoRawKeys(missing);
  });

  it("sends no access request with a blank note, and shows a refusal from the shell", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      requestAccess: vi.fn(async () => {
        throw new ApiError("not-allowed", "the note must not be blank");
      }),
    });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findByTestId("rights-empty");

    await user.click(accessButton());
    await user.type(accessNote(), "   ");
    await user.click(accessButton());
    expect(api.requestAccess).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent(R.access.blank);
    expect(screen.getByTestId("rights-access-blank")).toHaveTextContent(R.access.blank);
    expect(accessNote()).toHaveAttribute("aria-invalid", "true");
    expect(accessNote()).toHaveFocus();
    expect(screen.queryByTestId("rights-access-sent")).toBeNull();
    expectNoRawKeys(missing);

    // Whatever the form lets through, the shell's refusal is shown, and the note is kept.
    await user.type(accessNote(), "x");
    expect(screen.queryByTestId("rights-access-blank")).toBeNull();
    await user.click(accessButton());
    expect(api.requestAccess).toHaveBeenCalledWith(null, "x");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.title);
    expect(alert).toHaveTextContent(fill(c.errors.generic, { code: "not-allowed" }));
    expect(screen.queryByTestId("rights-access-sent")).toBeNull();
    expect(accessNote().value).toBe("   x");
    expectNoRawKeys(missing);
  });

  it("shows why the list could not be read", async () => {
    const api = fakeApi({
      rightsRequests: vi.fn(async () => {
        throw new ApiError("locked", "the store is locked");
      }),
    });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.title);
    expect(alert).toHaveTextContent(c.errors.locked);
    expect(screen.queryByTestId("rights-empty")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("answers a received request with the chosen status and note, then reads the list again", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      rightsRequests: vi.fn(async () => requests),
      updateRequest: vi.fn(async () => ({ parcel_id: "u-1", kind: "request-update", size: 1, recipients: ["U Zaw"] })),
    });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("rights-row");
    const received = rowOf("r-received-deletion");

    await user.selectOptions(within(received).getByLabelText(R.answer.status), "in-progress");
    const note = within(received).getByLabelText(R.answer.note);
    expect(note).toHaveAccessibleDescription(R.answer.note_hint);
    await user.type(note, "  Deleting the copies saved outside Sealpost.  ");
    const loads = vi.mocked(api.rightsRequests).mock.calls.length;
    await user.click(answerButton(received));
    expect(api.updateRequest).toHaveBeenCalledTimes(1);
    expect(api.updateRequest).toHaveBeenCalledWith("r-received-deletion", "in-progress", "Deleting the copies saved outside Sealpost.");
    const notice = await within(rowOf("r-received-deletion")).findByTestId("rights-answer-sent");
    expect(notice).toHaveTextContent(fill(R.answer.done, { recipients: "U Zaw" }));
    expect((within(rowOf("r-received-deletion")).getByLabelText(R.answer.note) as HTMLTextAreaElement).value).toBe("");
    await waitFor(() => expect(vi.mocked(api.rightsRequests).mock.calls.length).toBeGreaterThan(loads));

    // Without a note, null is sent.
    const onTime = rowOf("r-received-correction");
    await user.selectOptions(within(onTime).getByLabelText(R.answer.status), "done");
    await user.click(answerButton(onTime));
    expect(api.updateRequest).toHaveBeenLastCalledWith("r-received-correction", "done", null);
    expectNoRawKeys(missing);
  });

  it("declines only with a reason, and shows a refusal from the shell", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      rightsRequests: vi.fn(async () => requests),
      updateRequest: vi.fn(async () => {
        throw new ApiError("not-a-recipient", "you did not receive this request");
      }),
    });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("rights-row");
    const received = rowOf("r-received-deletion");
    const note = within(received).getByLabelText(R.answer.note);
    expect(note).not.toBeRequired();

    await user.selectOptions(within(received).getByLabelText(R.answer.status), "declined");
    expect(note).toBeRequired();
    await user.type(note, "   ");
    await user.click(answerButton(received));
    expect(api.updateRequest).not.toHaveBeenCalled();
    const problem = within(received).getByRole("alert");
    expect(problem).toHaveTextContent(R.answer.decline_blank);
    expect(within(received).getByTestId("rights-decline-blank")).toBe(problem);
    expect(note).toHaveAttribute("aria-invalid", "true");
    expect(note).toHaveFocus();
    expect(within(received).queryByTestId("rights-answer-sent")).toBeNull();
    expectNoRawKeys(missing);

    // With a reason it goes, and the shell's refusal is shown in the row.
    await user.type(note, "The list is needed for an audit.");
    expect(within(received).queryByTestId("rights-decline-blank")).toBeNull();
    await user.click(answerButton(received));
    expect(api.updateRequest).toHaveBeenCalledWith("r-received-deletion", "declined", "The list is needed for an audit.");
    const alert = await within(received).findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.title);
    expect(alert).toHaveTextContent(c.errors["not-a-recipient"]);
    expect(within(received).queryByTestId("rights-answer-sent")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("shows only the open requests when asked, keeping one just answered", async () => {
    const user = userEvent.setup();
    let current = requests;
    const api = fakeApi({
      rightsRequests: vi.fn(async () => current),
      updateRequest: vi.fn(async () => ({ parcel_id: "u-1", kind: "request-update", size: 1, recipients: ["U Zaw"] })),
    });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("rights-row");
    const toggle = screen.getByLabelText(R.list.only_open);
    expect(toggle).toBe(screen.getByTestId("rights-only-open"));
    expect(toggle).not.toBeChecked();
    expect(rowIds()).toContain("r-made-done");

    await user.click(toggle);
    expect(rowIds()).toEqual(["r-made-access", "r-made-deletion", "r-received-deletion", "r-received-correction"]);
    // The summary still counts every overdue request.
    expect(screen.getByTestId("rights-overdue-made")).toHaveTextContent(formatNumber(2, language));

    // Answering "done" closes a request: it stays in view with what became of the answer.
    current = requests.map((request) =>
      request.request_id === "r-received-correction" ? { ...request, open: false, status: "done" } : request,
    );
    await user.selectOptions(within(rowOf("r-received-correction")).getByLabelText(R.answer.status), "done");
    await user.click(answerButton(rowOf("r-received-correction")));
    await waitFor(() => expect(rowOf("r-received-correction")).toHaveAttribute("data-open", "false"));
    expect(within(rowOf("r-received-correction")).getByTestId("rights-answer-sent")).toHaveTextContent(
      fill(R.answer.done, { recipients: "U Zaw" }),
    );
    expect(within(rowOf("r-received-correction")).queryByTestId("rights-answer-form")).toBeNull();

    // Turned off and on again, the filter hides every closed request.
    await user.click(toggle);
    expect(rowIds()).toHaveLength(5);
    await user.click(toggle);
    expect(rowIds()).toEqual(["r-made-access", "r-made-deletion", "r-received-deletion"]);
    expectNoRawKeys(missing);
  });

  it("says so when the filter leaves nothing", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ rightsRequests: vi.fn(async () => [requests[4]!]) });
    const { missing } = renderIn(language, <RightsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("rights-row");
    await user.click(screen.getByLabelText(R.list.only_open));
    expect(screen.queryByTestId("rights-row")).toBeNull();
    expect(screen.getByTestId("rights-none-open")).toHaveTextContent(R.list.none_open);
    await user.click(screen.getByLabelText(R.list.only_open));
    expect(rowIds()).toEqual(["r-made-done"]);
    expectNoRawKeys(missing);
  });

  it("has a nav item in the app that opens the screen", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ rightsRequests: vi.fn(async () => requests) });
    const { missing } = renderIn(language, <App api={api} />);
    const nav = await screen.findByRole("navigation", { name: c.nav.label });
    const item = within(nav).getByRole("button", { name: c.nav.rights });
    expect(item).toHaveAttribute("data-screen", "rights");
    await user.click(item);
    expect(item).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 1, name: c.screens.rights.title })).toBeInTheDocument();
    await screen.findAllByTestId("rights-row");
    expect(api.rightsRequests).toHaveBeenCalled();
    expect(api.sent).toHaveBeenCalled();
    expectNoRawKeys(missing);
  });
});
