import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { SentEntry } from "../bindings/SentEntry";
import { formatList } from "../format";
import { en, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { confidentialReview, highlyConfidentialReview, outboxEntries, sentEntries } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts, fill } from "../test/render";
import { OutboxScreen } from "./OutboxScreen";
import { SentScreen } from "./SentScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

/** The fixture's sent parcel, plus one whose deletion was requested and one cancelled. */
const sent: SentEntry[] = [
  ...sentEntries,
  { ...sentEntries[0]!, parcel_id: "s-deleted", status: "deletion-requested" },
  { ...sentEntries[0]!, parcel_id: "s-cancelled", status: "cancelled" },
];

/** The fixture's data parcel, and a receipt waiting to go (which cannot be cancelled). */
const outbox: OutboxEntry[] = [
  ...outboxEntries,
  {
    parcel_id: "o-receipt",
    kind: "receipt",
    about: "p-hc",
    size: 900,
    confirmed: 0,
    attempts: 0,
    last_error: null,
    queued_at: "2025-03-05T10:05:00Z",
    recipients: ["Ko Min Thu"],
  },
];

function rowOf(testId: string, id: string): HTMLElement {
  const row = screen.getAllByTestId(testId).find((element) => element.dataset.parcelId === id);
  if (!row) throw new Error(`no ${testId} ${id}`);
  return row;
}

function action(row: HTMLElement, name: string): HTMLElement | null {
  return row.querySelector<HTMLElement>(`[data-action="${name}"]`);
}

describe.each(["en", "my"] as const)("Sent: parcel actions (%s)", (language) => {
  const c = catalogues[language];
  const P = c.parcel;

  it("offers Correct and Delete except on cancelled parcels and those already being deleted", async () => {
    const api = fakeApi({ sent: vi.fn(async () => sent) });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("sent-row");
    expect(action(rowOf("sent-row", "s-1"), "correct")).toHaveTextContent(P.correct);
    expect(action(rowOf("sent-row", "s-1"), "delete")).toHaveTextContent(P.delete);
    for (const id of ["s-deleted", "s-cancelled"]) {
      expect(action(rowOf("sent-row", id), "correct")).toBeNull();
      expect(action(rowOf("sent-row", id), "delete")).toBeNull();
    }
    expectNoRawKeys(missing);
  });

  it("deletes only after honest wording, and says the request was queued", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      sent: vi.fn(async () => sent),
      deleteParcel: vi.fn(async (parcelId: string) => ({
        parcel_id: parcelId,
        request_id: "del-1",
        recipients: ["Ko Min Thu", "Ma Hnin"],
      })),
    });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("sent-row");
    const remove = action(rowOf("sent-row", "s-1"), "delete")!;

    await user.click(remove);
    let dialog = screen.getByRole("dialog", { name: P.delete_confirm.title });
    expect(dialog).toHaveTextContent(P.delete_confirm.relay);
    expect(dialog).toHaveTextContent(P.delete_confirm.recipients);
    expect(dialog).toHaveTextContent(P.delete_confirm.limits);
    expect(dialog).toHaveTextContent("survey.xlsx");
    expectNoRawKeys(missing);
    // Cancel is where the focus starts; it deletes nothing.
    expect(within(dialog).getByRole("button", { name: P.delete_confirm.cancel })).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(api.deleteParcel).not.toHaveBeenCalled();

    await user.click(remove);
    dialog = screen.getByRole("dialog");
    await user.click(document.getElementById("confirm-delete")!);
    expect(api.deleteParcel).toHaveBeenCalledWith("s-1");
    const outcome = await screen.findByTestId("parcel-outcome");
    expect(outcome).toHaveAttribute("data-outcome", "deleted");
    expect(outcome).toHaveTextContent(
      fill(P.deleted.requested, { recipients: formatList(["Ko Min Thu", "Ma Hnin"], language) }),
    );
    // The list is read again (the parcel now shows "deletion requested").
    await waitFor(() => expect(vi.mocked(api.sent).mock.calls.length).toBeGreaterThan(1));
    expectNoRawKeys(missing);
  });

  it("says an unfinished upload was simply cancelled", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      sent: vi.fn(async () => sentEntries),
      deleteParcel: vi.fn(async (parcelId: string) => ({ parcel_id: parcelId, request_id: null, recipients: [] })),
    });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await user.click(action((await screen.findAllByTestId("sent-row"))[0]!, "delete")!);
    await user.click(document.getElementById("confirm-delete")!);
    expect(await screen.findByTestId("parcel-outcome")).toHaveTextContent(P.deleted.cancelled);
    expectNoRawKeys(missing);
  });

  it("shows a failed deletion by its code", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      sent: vi.fn(async () => sentEntries),
      deleteParcel: vi.fn(async () => {
        throw new ApiError("no-roster", "no roster");
      }),
    });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await user.click(action((await screen.findAllByTestId("sent-row"))[0]!, "delete")!);
    await user.click(document.getElementById("confirm-delete")!);
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["no-roster"]);
    expect(screen.queryByTestId("parcel-outcome")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("corrects a parcel with the picked files and a note", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      sent: vi.fn(async () => sentEntries),
      pickFiles: vi.fn(async () => ["/home/aye/survey-v2.xlsx"]),
      correctParcel: vi.fn(async () => ({
        parcel_id: "corr-1",
        kind: "data",
        size: 1,
        recipients: ["Ko Min Thu", "Ma Hnin"],
      })),
    });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    const row = (await screen.findAllByTestId("sent-row"))[0]!;
    await user.click(action(row, "correct")!);
    expect(api.pickFiles).toHaveBeenCalledOnce();

    const panel = await screen.findByTestId("correction-panel");
    expect(panel).toHaveTextContent("survey-v2.xlsx");
    expect(panel).toHaveTextContent(P.correction.intro);
    expect(panel.querySelector("[data-label]")).toHaveAttribute("data-label", "confidential");
    expect(within(panel).getByRole("heading", { name: P.correction.title })).toHaveFocus();
    expectNoRawKeys(missing);

    await user.type(screen.getByLabelText(P.correction.note_label), "fixed the totals");
    await user.click(document.getElementById("send-correction")!);
    expect(api.correctParcel).toHaveBeenCalledWith({
      parcel_id: "s-1",
      files: ["/home/aye/survey-v2.xlsx"],
      label: null,
      override_reason: null,
      note: "fixed the totals",
    });
    const outcome = await screen.findByTestId("parcel-outcome");
    expect(outcome).toHaveAttribute("data-outcome", "corrected");
    expect(outcome).toHaveTextContent(
      fill(P.correction.done, { recipients: formatList(["Ko Min Thu", "Ma Hnin"], language) }),
    );
    expect(screen.queryByTestId("correction-panel")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("sends nothing when no files are picked, and Cancel closes the panel", async () => {
    const user = userEvent.setup();
    const pickFiles = vi.fn(async () => [] as string[]);
    const api = fakeApi({ sent: vi.fn(async () => sentEntries), pickFiles });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    const correct = action((await screen.findAllByTestId("sent-row"))[0]!, "correct")!;
    await user.click(correct);
    expect(await screen.findByTestId("parcel-outcome")).toHaveTextContent(P.correction.no_files);
    expect(screen.queryByTestId("correction-panel")).toBeNull();

    pickFiles.mockResolvedValueOnce(["/home/aye/survey-v2.xlsx"]);
    await user.click(correct);
    const panel = await screen.findByTestId("correction-panel");
    await user.click(within(panel).getByRole("button", { name: P.correction.cancel }));
    expect(screen.queryByTestId("correction-panel")).toBeNull();
    await waitFor(() => expect(correct).toHaveFocus());
    expect(api.correctParcel).not.toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("asks for the label when the new files call for a higher one, with the Send screen's label step", async () => {
    const user = userEvent.setup();
    const correctParcel = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("label-below-suggestion", "the label is below the suggestion"))
      .mockResolvedValue({ parcel_id: "corr-2", kind: "data", size: 1, recipients: ["Ko Min Thu"] });
    const api = fakeApi({
      sent: vi.fn(async () => sentEntries),
      pickFiles: vi.fn(async () => ["/home/aye/beneficiaries.csv"]),
      scanFiles: vi.fn(async () => highlyConfidentialReview),
      correctParcel,
    });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await user.click(action((await screen.findAllByTestId("sent-row"))[0]!, "correct")!);
    await screen.findByTestId("correction-panel");
    await user.click(document.getElementById("send-correction")!);

    // The refusal is said by its code, the files are scanned, and the label step appears with
    // the scan's suggestion pre-selected.
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["label-below-suggestion"]);
    expect(api.scanFiles).toHaveBeenCalledWith(["/home/aye/beneficiaries.csv"]);
    expect(await screen.findByText(P.correction.label_needed)).toBeInTheDocument();
    expect(screen.getByRole("radio", { checked: true })).toHaveAttribute("value", "highly-confidential");
    expectNoRawKeys(missing);

    // Keep the original (lower) label: a reason is required, as on the Send screen.
    await user.click(screen.getByRole("radio", { name: new RegExp(`^${c.label.confidential.name}`) }));
    const next = screen.getByRole("button", { name: c.common.next });
    expect(next).toBeDisabled();
    await user.type(screen.getByRole("textbox", { name: c.label_chooser.reason_label }), "only totals per township");
    await user.click(next);

    const panel = screen.getByTestId("correction-panel");
    expect(panel.querySelector("[data-label]")).toHaveAttribute("data-label", "confidential");
    expect(panel).toHaveTextContent(fill(P.correction.reason, { reason: "only totals per township" }));
    await user.click(document.getElementById("send-correction")!);
    expect(correctParcel).toHaveBeenLastCalledWith({
      parcel_id: "s-1",
      files: ["/home/aye/beneficiaries.csv"],
      label: "confidential",
      override_reason: "only totals per township",
      note: null,
    });
    expect(await screen.findByTestId("parcel-outcome")).toHaveAttribute("data-outcome", "corrected");
    expectNoRawKeys(missing);
  });

  it("can pick the suggested label instead of giving a reason", async () => {
    const user = userEvent.setup();
    const correctParcel = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("label-below-suggestion", "below"))
      .mockResolvedValue({ parcel_id: "corr-3", kind: "data", size: 1, recipients: ["Ko Min Thu"] });
    const api = fakeApi({
      sent: vi.fn(async () => [{ ...sentEntries[0]!, label: "restricted" as const }]),
      pickFiles: vi.fn(async () => ["/home/aye/survey.xlsx"]),
      scanFiles: vi.fn(async () => confidentialReview),
      correctParcel,
    });
    renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await user.click(action((await screen.findAllByTestId("sent-row"))[0]!, "correct")!);
    await user.click(await waitFor(() => document.getElementById("send-correction")!));
    await screen.findByText(P.correction.label_needed);
    await user.click(document.getElementById("label-next")!);
    await user.click(document.getElementById("send-correction")!);
    expect(correctParcel).toHaveBeenLastCalledWith(
      expect.objectContaining({ label: "confidential", override_reason: null }),
    );
  });
});

describe.each(["en", "my"] as const)("Outbox: parcel actions (%s)", (language) => {
  const c = catalogues[language];
  const P = c.parcel;

  it("retries now through the background sync and reads the list again", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ outbox: vi.fn(async () => outbox) });
    const { missing } = renderIn(language, <OutboxScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("outbox-row");
    const before = vi.mocked(api.outbox).mock.calls.length;
    await user.click(action(rowOf("outbox-row", "o-1"), "retry")!);
    expect(api.syncNow).toHaveBeenCalledOnce();
    expect(await screen.findByTestId("outbox-outcome")).toHaveTextContent(P.retrying);
    await waitFor(() => expect(vi.mocked(api.outbox).mock.calls.length).toBeGreaterThan(before));
    expectNoRawKeys(missing);
  });

  it("shows a failed retry by its code", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      outbox: vi.fn(async () => outbox),
      syncNow: vi.fn(async () => {
        throw new ApiError("no-relay", "no relay set");
      }),
    });
    const { missing } = renderIn(language, <OutboxScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("outbox-row");
    await user.click(action(rowOf("outbox-row", "o-1"), "retry")!);
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors["no-relay"]);
    expectNoRawKeys(missing);
  });

  it("cancels a data parcel after confirming, and reads the list again", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      outbox: vi.fn(async () => outbox),
      deleteParcel: vi.fn(async (parcelId: string) => ({ parcel_id: parcelId, request_id: null, recipients: [] })),
    });
    const { missing } = renderIn(language, <OutboxScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("outbox-row");
    // A receipt cannot be cancelled; it can be retried.
    expect(action(rowOf("outbox-row", "o-receipt"), "cancel")).toBeNull();
    expect(action(rowOf("outbox-row", "o-receipt"), "retry")).not.toBeNull();

    const cancel = action(rowOf("outbox-row", "o-1"), "cancel")!;
    expect(cancel).toHaveTextContent(P.cancel);
    await user.click(cancel);
    let dialog = screen.getByRole("dialog", { name: P.cancel_confirm.title });
    expect(dialog).toHaveTextContent(P.cancel_confirm.body);
    expectNoRawKeys(missing);
    await user.click(within(dialog).getByRole("button", { name: P.cancel_confirm.keep }));
    expect(api.deleteParcel).not.toHaveBeenCalled();

    await user.click(cancel);
    dialog = screen.getByRole("dialog");
    const before = vi.mocked(api.outbox).mock.calls.length;
    await user.click(document.getElementById("confirm-cancel")!);
    expect(api.deleteParcel).toHaveBeenCalledWith("o-1");
    expect(await screen.findByTestId("outbox-outcome")).toHaveTextContent(P.cancelled);
    await waitFor(() => expect(vi.mocked(api.outbox).mock.calls.length).toBeGreaterThan(before));
    expectNoRawKeys(missing);
  });

  it("says so when the upload finished before the cancel", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ outbox: vi.fn(async () => outbox) });
    renderIn(language, <OutboxScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("outbox-row");
    await user.click(action(rowOf("outbox-row", "o-1"), "cancel")!);
    await user.click(document.getElementById("confirm-cancel")!);
    expect(await screen.findByTestId("outbox-outcome")).toHaveTextContent(P.too_late);
  });
});
