import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, type Api } from "../api";
import type { SentEntry } from "../bindings/SentEntry";
import { en, my } from "../i18n";
import { NO_SYNC } from "../sync";
import { fakeApi } from "../test/fakeApi";
import { sentEntries } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts } from "../test/render";
import { SentScreen } from "./SentScreen";

const catalogues = { en, my } as const;

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

/** A promise the test settles itself, to look at the screen while the save dialog is open. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const CSV_PATH = "/home/aye/Documents/sharing-log.csv";
const HTML_PATH = "/home/aye/Documents/sharing-log.html";

describe.each(["en", "my"] as const)("Sent: exporting the sharing log (%s)", (language) => {
  const c = catalogues[language];
  const E = c.parcel.export;

  /** The Sent screen with the fixture's parcel, once the list has arrived. */
  async function renderWithParcels(exportSharingLog: Api["exportSharingLog"]) {
    const api = fakeApi({ sent: vi.fn(async () => sentEntries), exportSharingLog });
    const rendered = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    await screen.findAllByTestId("sent-row");
    const region = screen.getByRole("region", { name: E.title });
    return { ...rendered, api, region };
  }

  it("is absent while the list loads and when nothing was sent", async () => {
    const list = deferred<SentEntry[]>();
    const api = fakeApi({ sent: vi.fn(() => list.promise) });
    const { missing } = renderIn(language, <SentScreen api={api} feed={NO_SYNC} />);
    expect(screen.getByText(c.common.loading)).toBeInTheDocument();
    expect(document.getElementById("export-log-csv")).toBeNull();
    expect(screen.queryByRole("heading", { name: E.title })).toBeNull();

    list.resolve([]);
    expect(await screen.findByTestId("sent-empty")).toHaveTextContent(c.sent.empty);
    expect(document.getElementById("export-log-csv")).toBeNull();
    expect(document.getElementById("export-log-html")).toBeNull();
    expect(screen.queryByRole("heading", { name: E.title })).toBeNull();
    expect(screen.queryByText(E.intro)).toBeNull();
    expect(api.exportSharingLog).not.toHaveBeenCalled();
    expectNoRawKeys(missing);
  });

  it("offers both formats, explained, once there is a parcel", async () => {
    const { region, missing } = await renderWithParcels(vi.fn(async () => null));
    expect(within(region).getByRole("heading", { level: 2, name: E.title })).toBeInTheDocument();
    expect(region).toHaveTextContent(E.intro);
    const csv = within(region).getByRole("button", { name: E.csv });
    const html = within(region).getByRole("button", { name: E.html });
    expect(csv).toHaveAttribute("id", "export-log-csv");
    expect(html).toHaveAttribute("id", "export-log-html");
    expect(csv).toHaveAttribute("type", "button");
    expect(csv).toHaveAccessibleDescription(E.intro);
    expect(csv).toBeEnabled();
    expect(html).toBeEnabled();
    expectNoRawKeys(missing);
  });

  it("exports as CSV with the translated dialog title and shows the path", async () => {
    const user = userEvent.setup();
    const { api, region, missing } = await renderWithParcels(vi.fn(async () => CSV_PATH));
    await user.click(within(region).getByRole("button", { name: E.csv }));
    expect(api.exportSharingLog).toHaveBeenCalledTimes(1);
    expect(api.exportSharingLog).toHaveBeenCalledWith("csv", E.save_title);

    const done = await screen.findByTestId("log-exported");
    expect(done).toHaveTextContent(E.done);
    expect(within(done).getByTestId("log-path")).toHaveTextContent(CSV_PATH);
    expect(within(done).getByTestId("log-path").tagName).toBe("CODE");
    expect(done.closest('[role="status"]')).not.toBeNull();
    expect(region).not.toContainElement(screen.queryByRole("alert"));
    expect(screen.queryByTestId("log-export-cancelled")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("exports as HTML with the translated dialog title and shows the path", async () => {
    const user = userEvent.setup();
    const { api, region, missing } = await renderWithParcels(vi.fn(async () => HTML_PATH));
    await user.click(within(region).getByRole("button", { name: E.html }));
    expect(api.exportSharingLog).toHaveBeenCalledTimes(1);
    expect(api.exportSharingLog).toHaveBeenCalledWith("html", E.save_title);
    expect(await screen.findByTestId("log-path")).toHaveTextContent(HTML_PATH);
    expect(screen.getByTestId("log-exported").closest('[role="status"]')).not.toBeNull();
    expectNoRawKeys(missing);
  });

  it("says quietly that nothing was saved when the dialog is cancelled", async () => {
    const user = userEvent.setup();
    const { region, missing } = await renderWithParcels(vi.fn(async () => null));
    await user.click(within(region).getByRole("button", { name: E.csv }));
    const cancelled = await screen.findByTestId("log-export-cancelled");
    expect(cancelled).toHaveTextContent(E.cancelled);
    expect(cancelled.closest('[role="status"]')).not.toBeNull();
    expect(screen.queryByTestId("log-exported")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    expectNoRawKeys(missing);
  });

  it("asks for another name when the file already exists", async () => {
    const user = userEvent.setup();
    const exportSharingLog = vi.fn(async () => {
      throw { code: "file-exists", message: "cannot write /home/aye/sharing-log.html: File exists" };
    });
    const { region, missing } = await renderWithParcels(exportSharingLog);
    await user.click(within(region).getByRole("button", { name: E.html }));
    const alert = await within(region).findByRole("alert");
    expect(alert).toHaveTextContent(E.file_exists);
    expect(alert).toHaveTextContent(c.errors.title);
    expect(alert).not.toHaveTextContent(c.errors.generic.split("{{")[0]!);
    expect(screen.getByTestId("log-export-error")).toHaveAttribute("data-code", "file-exists");
    expect(screen.queryByTestId("log-exported")).toBeNull();
    expectNoRawKeys(missing);

    // Trying again with another name clears the refusal.
    exportSharingLog.mockResolvedValueOnce(HTML_PATH as never);
    await user.click(within(region).getByRole("button", { name: E.html }));
    expect(await screen.findByTestId("log-path")).toHaveTextContent(HTML_PATH);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows any other failure with the usual error notice", async () => {
    const user = userEvent.setup();
    const { region, missing } = await renderWithParcels(
      vi.fn(async () => {
        throw new ApiError("io", "cannot write /media/usb/sharing-log.csv: Permission denied");
      }),
    );
    await user.click(within(region).getByRole("button", { name: E.csv }));
    const alert = await within(region).findByRole("alert");
    expect(alert).toHaveTextContent(c.errors.io);
    expect(alert).not.toHaveTextContent(E.file_exists);
    expect(screen.getByTestId("log-export-error")).toHaveAttribute("data-code", "io");
    expectNoRawKeys(missing);
  });

  it("disables both buttons while the save dialog is open, then gives the focus back", async () => {
    const user = userEvent.setup();
    const pending = deferred<string | null>();
    const { api, region, missing } = await renderWithParcels(vi.fn(() => pending.promise));
    const csv = within(region).getByRole("button", { name: E.csv });
    const html = within(region).getByRole("button", { name: E.html });

    // From the keyboard.
    csv.focus();
    await user.keyboard("{Enter}");
    expect(api.exportSharingLog).toHaveBeenCalledWith("csv", E.save_title);
    await waitFor(() => expect(csv).toBeDisabled());
    expect(html).toBeDisabled();
    expect(within(region).getByRole("status")).toHaveTextContent(E.busy);
    await user.click(html);
    expect(api.exportSharingLog).toHaveBeenCalledTimes(1);
    expectNoRawKeys(missing);
    // The native dialog takes the focus away, and does not give it back when it closes.
    const dialog = document.createElement("div");
    dialog.tabIndex = -1;
    document.body.append(dialog);
    dialog.focus();
    dialog.remove();
    expect(csv).not.toHaveFocus();

    pending.resolve(CSV_PATH);
    expect(await screen.findByTestId("log-path")).toHaveTextContent(CSV_PATH);
    expect(csv).toBeEnabled();
    expect(html).toBeEnabled();
    expect(within(region).getByRole("status")).not.toHaveTextContent(E.busy);
    await waitFor(() => expect(csv).toHaveFocus());
  });
});
