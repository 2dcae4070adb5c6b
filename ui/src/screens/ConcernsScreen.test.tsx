import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, concerns, reportConcern, updateConcern } from "../api";
import { App } from "../App";
import { CONCERN_STATUSES } from "../bindings/limits";
import { formatList } from "../format";
import { en, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { concernEntries } from "../test/fixtures";
import { fill, isRawKey, renderIn, visibleTexts } from "../test/render";
import { ConcernsScreen } from "./ConcernsScreen";

// The wrappers' command names and argument names, as the shell expects them.
const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const catalogues = { en, my } as const;

describe("concern commands", () => {
  it("call the shell by name, with camelCase argument names", async () => {
    invoke.mockResolvedValue([]);
    await concerns();
    expect(invoke).toHaveBeenLastCalledWith("concerns", undefined);
    await reportConcern("note", ["/tmp/a.png"], "confidential");
    expect(invoke).toHaveBeenLastCalledWith("report_concern", {
      note: "note",
      paths: ["/tmp/a.png"],
      label: "confidential",
    });
    await updateConcern("c-1", "resolved", null);
    expect(invoke).toHaveBeenLastCalledWith("update_concern", { concernId: "c-1", status: "resolved", note: null });
  });
});

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

function rowOf(id: string): HTMLElement {
  const row = screen.getAllByTestId("concern-row").find((element) => element.dataset.parcelId === id);
  if (!row) throw new Error(`no concern-row ${id}`);
  return row;
}

function noteField(): HTMLTextAreaElement {
  return document.getElementById("concern-note") as HTMLTextAreaElement;
}

function reportButton(): HTMLButtonElement {
  return document.getElementById("report-concern") as HTMLButtonElement;
}

describe.each(["en", "my"] as const)("Concerns (%s)", (language) => {
  const c = catalogues[language];
  const C = c.concerns;

  it("reports a concern with exactly the note, the files and the label, then clears the form", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      pickFiles: vi.fn(async () => ["/home/aye/photo.jpg", "C:\\Users\\aye\\letter.pdf"]),
      reportConcern: vi.fn(async () => ({
        parcel_id: "concern-1",
        kind: "concern",
        size: 10,
        recipients: ["Ko Min Thu", "Ma Hnin"],
      })),
    });
    const { missing } = renderIn(language, <ConcernsScreen api={api} feed={NO_SYNC} />);
    expect(screen.getByRole("heading", { level: 1, name: c.screens.concerns.title })).toBeInTheDocument();
    await screen.findByTestId("concerns-empty");
    expect(screen.getByTestId("concerns-empty")).toHaveTextContent(C.list.empty);

    // The note's field says where it goes (only coordinator and IMOs).
    const note = screen.getByLabelText(C.report.note_label);
    expect(note).toBe(noteField());
    expect(note).toBeRequired();
    expect(note).toHaveAccessibleDescription(C.report.note_hint);

    // The label starts at confidential, by its translated name.
    const label = screen.getByLabelText(C.report.label) as HTMLSelectElement;
    expect(label.value).toBe("confidential");
    expect(within(label).getByRole("option", { selected: true })).toHaveTextContent(c.label.confidential.name);

    // Files: chosen, shown by name, cleared, chosen again.
    await user.click(screen.getByRole("button", { name: C.report.add_files }));
    const files = screen.getByTestId("concern-files");
    expect(within(files).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["photo.jpg", "letter.pdf"]);
    await user.click(screen.getByRole("button", { name: C.report.clear_files }));
    expect(screen.queryByTestId("concern-files")).toBeNull();
    await user.click(screen.getByRole("button", { name: C.report.add_files }));
    expect(api.pickFiles).toHaveBeenCalledTimes(2);

    await user.type(note, "  ဒေတာ ယိုစိမ့်မှု — data leak  ");
    await user.selectOptions(label, "highly-confidential");
    expectNoRawKeys(missing);
    await user.click(reportButton());

    expect(api.reportConcern).toHaveBeenCalledTimes(1);
    expect(api.reportConcern).toHaveBeenCalledWith(
      "ဒေတာ ယိုစိမ့်မှု — data leak",
      ["/home/aye/photo.jpg", "C:\\Users\\aye\\letter.pdf"],
      "highly-confidential",
    );
    const notice = await screen.findByTestId("concern-reported");
    expect(notice).toHaveTextContent(fill(C.report.done, { recipients: formatList(["Ko Min Thu", "Ma Hnin"], language) }));
    expect(notice.closest('[role="status"]')).not.toBeNull();
    // The form is empty again, and the list is read again.
    expect(noteField().value).toBe("");
    expect(screen.queryByTestId("concern-files")).toBeNull();
    expect((document.getElementById("concern-label") as HTMLSelectElement).value).toBe("confidential");
    await waitFor(() => expect(vi.mocked(api.concerns).mock.calls.length).toBeGreaterThan(1));
    expectNoRawKeys(missing);
  });

  it("sends no blank note, and shows a refusal from the shell", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      reportConcern: vi.fn(async () => {
        throw new ApiError("not-allowed", "the note must not be blank");
      }),
    });
    const { missing } = renderIn(language, <ConcernsScreen api={api} feed={NO_SYNC} />);
    await screen.findByTestId("concerns-empty");

    await user.click(reportButton());
    await user.type(noteField(), "   ");
    await user.click(reportButton());
    expect(api.reportConcern).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent(C.report.blank);
    expect(noteField()).toHaveAttribute("aria-invalid", "true");
    expect(noteField()).toHaveFocus();
    expect(screen.queryByTestId("concern-reported")).toBeNull();
    expectNoRawKeys(missing);

    // Whatever the form lets through, the shell's refusal is shown, and the note is kept.
    await user.type(noteField(), "x");
    expect(screen.queryByTestId("concern-note-blank")).toBeNull();
    await user.click(reportButton());
    expect(api.reportConcern).toHaveBeenCalledWith("x", [], "confidential");
    expect(await screen.findByRole("alert")).toHaveTextContent(c.errors.title);
    expect(screen.queryByTestId("concern-reported")).toBeNull();
    expect(noteField().value).toBe("   x");
    expectNoRawKeys(missing);
  });

  it("lists reported and received concerns with their status and updates", async () => {
    const api = fakeApi({ concerns: vi.fn(async () => concernEntries) });
    const { missing } = renderIn(language, <ConcernsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("concern-row");
    expect(screen.queryByTestId("concerns-empty")).toBeNull();

    const reported = rowOf("c-reported");
    expect(reported).toHaveAttribute("data-status", "investigating");
    expect(reported).toHaveTextContent(C.reported);
    expect(within(reported).getByTestId("concern-status")).toHaveTextContent(C.status.investigating);
    expect(reported).toHaveTextContent("Our beneficiary list was shared outside the cluster.");
    expect(reported).toHaveTextContent("screenshot.png");
    expect(reported).toHaveTextContent(c.label.confidential.name);
    const updates = within(reported).getAllByTestId("concern-update");
    expect(updates.map((update) => update.dataset.status)).toEqual(["acknowledged", "investigating"]);
    expect(updates[0]).toHaveTextContent(C.status.acknowledged);
    expect(updates[0]).toHaveTextContent("Ko Min Thu");
    expect(updates[1]).toHaveTextContent("Ma Hnin");
    expect(updates[1]).toHaveTextContent("ကျွန်ုပ်တို့ စစ်ဆေးနေပါသည်။");
    // Only received concerns can be updated.
    expect(reported.querySelector('[data-action="update-concern"]')).toBeNull();

    const received = rowOf("c-received");
    expect(received).toHaveAttribute("data-status", "open");
    expect(received).toHaveTextContent(fill(C.received, { name: "U Zaw", org: "Yoma Relief" }));
    expect(within(received).getByTestId("concern-status")).toHaveTextContent(C.status.open);
    expect(received).toHaveTextContent(C.updates.none);
    expect(received.querySelector('[data-action="update-concern"]')).toHaveTextContent(C.update.submit);
    const options = within(within(received).getByLabelText(C.update.status)).getAllByRole("option");
    expect(options.map((option) => (option as HTMLOptionElement).value)).toEqual([...CONCERN_STATUSES]);
    expectNoRawKeys(missing);
  });

  it("sends an update on a received concern with the chosen status and note, then reads the list again", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      concerns: vi.fn(async () => concernEntries),
      updateConcern: vi.fn(async () => ({ parcel_id: "u-1", kind: "concern-update", size: 1, recipients: ["U Zaw"] })),
    });
    const { missing } = renderIn(language, <ConcernsScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("concern-row");
    const received = rowOf("c-received");

    await user.selectOptions(within(received).getByLabelText(C.update.status), "resolved");
    await user.type(within(received).getByLabelText(C.update.note), "The post was removed.");
    const loads = vi.mocked(api.concerns).mock.calls.length;
    await user.click(received.querySelector<HTMLElement>('[data-action="update-concern"]')!);
    expect(api.updateConcern).toHaveBeenCalledTimes(1);
    expect(api.updateConcern).toHaveBeenCalledWith("c-received", "resolved", "The post was removed.");
    expect(await screen.findByTestId("concern-updated")).toHaveTextContent(fill(C.update.done, { recipients: "U Zaw" }));
    await waitFor(() => expect(vi.mocked(api.concerns).mock.calls.length).toBeGreaterThan(loads));

    // Without a note, null is sent.
    await user.selectOptions(within(rowOf("c-received")).getByLabelText(C.update.status), "closed");
    await user.click(rowOf("c-received").querySelector<HTMLElement>('[data-action="update-concern"]')!);
    expect(api.updateConcern).toHaveBeenLastCalledWith("c-received", "closed", null);
    expectNoRawKeys(missing);
  });

  it("has a nav item in the app that opens the screen", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ concerns: vi.fn(async () => concernEntries) });
    const { missing } = renderIn(language, <App api={api} />);
    const nav = await screen.findByRole("navigation", { name: c.nav.label });
    const item = within(nav).getByRole("button", { name: c.nav.concerns });
    expect(item).toHaveAttribute("data-screen", "concerns");
    await user.click(item);
    expect(item).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 1, name: c.screens.concerns.title })).toBeInTheDocument();
    await screen.findAllByTestId("concern-row");
    expect(api.concerns).toHaveBeenCalled();
    expectNoRawKeys(missing);
  });
});
