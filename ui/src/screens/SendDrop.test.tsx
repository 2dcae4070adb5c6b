import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { en, my } from "../i18n";
import { fakeApi } from "../test/fakeApi";
import { confidentialReview, highlyConfidentialReview } from "../test/fixtures";
import { isRawKey, renderIn, visibleTexts } from "../test/render";

// The webview module, for `onFileDrop` itself (the screen tests below use the fake shell).
const onDragDropEvent = vi.fn();
vi.mock("@tauri-apps/api/webview", () => ({
  getCurrentWebview: () => ({ onDragDropEvent: (...args: unknown[]) => onDragDropEvent(...args) }),
}));

const { ApiError, onFileDrop } = await import("../api");
const { SendScreen } = await import("./SendScreen");

const catalogues = { en, my } as const;
const DROPPED = ["/home/aye/Desktop/survey.xlsx"];

function expectNoRawKeys(missing: string[]) {
  expect(visibleTexts(document.body).filter(isRawKey)).toEqual([]);
  expect(missing).toEqual([]);
}

/** A shell whose scan tells dropped files (survey.xlsx) from picked ones (beneficiaries.csv). */
function dropApi() {
  return fakeApi({
    scanFiles: vi.fn(async (paths: string[]) => (paths[0] === DROPPED[0] ? confidentialReview : highlyConfidentialReview)),
  });
}

const pickArea = () => screen.getByTestId("pick-area");

describe.each(["en", "my"] as const)("Send: files dropped onto the window (%s)", (language) => {
  const s = catalogues[language].send;

  it("checks exactly the dropped files and shows what the scan found", async () => {
    const api = dropApi();
    const { missing } = renderIn(language, <SendScreen api={api} />);
    expect(pickArea()).toHaveTextContent(s.pick.drop_hint);
    expect(api.fileDropListeners()).toBe(1);
    expectNoRawKeys(missing);

    act(() => api.dropFiles(DROPPED));

    await screen.findByRole("region", { name: "survey.xlsx" });
    expect(api.scanFiles).toHaveBeenCalledOnce();
    expect(api.scanFiles).toHaveBeenCalledWith(DROPPED);
    expect(api.pickFiles).not.toHaveBeenCalled();
    expect(document.getElementById("review-next")).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 2 })).toHaveTextContent(s.steps.review);
    // Past the first step, nobody listens for drops. The subscription follows the step in an
    // effect, which may run just after the render that shows the step: wait for it.
    await waitFor(() => expect(api.fileDropListeners()).toBe(0));
    expectNoRawKeys(missing);
  });

  it("highlights the pick area while files are dragged over the window", async () => {
    const api = dropApi();
    const { missing } = renderIn(language, <SendScreen api={api} />);
    expect(screen.queryByText(s.pick.drop_now)).toBeNull();
    expect(pickArea()).not.toHaveClass("drop-active");

    act(() => api.hoverFiles(true));
    expect(screen.getByRole("status")).toHaveTextContent(s.pick.drop_now);
    expect(pickArea()).toHaveClass("drop-active");
    expectNoRawKeys(missing);

    act(() => api.hoverFiles(false));
    expect(screen.queryByText(s.pick.drop_now)).toBeNull();
    expect(pickArea()).not.toHaveClass("drop-active");
    expect(api.scanFiles).not.toHaveBeenCalled();

    // A drop ends the hover too.
    act(() => api.hoverFiles(true));
    act(() => api.dropFiles(DROPPED));
    expect(screen.queryByText(s.pick.drop_now)).toBeNull();
    await screen.findByRole("region", { name: "survey.xlsx" });
  });

  it("ignores a drop during the review, and takes drops again back at the first step", async () => {
    const user = userEvent.setup();
    const api = dropApi();
    const { missing } = renderIn(language, <SendScreen api={api} />);
    await user.click(document.getElementById("pick-files")!);
    await screen.findByRole("region", { name: "beneficiaries.csv" });
    expect(api.scanFiles).toHaveBeenCalledOnce();

    act(() => {
      api.hoverFiles(true);
      api.dropFiles(DROPPED);
    });
    // Give a (wrongly) started scan the time to land.
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(api.scanFiles).toHaveBeenCalledOnce();
    expect(screen.getByRole("region", { name: "beneficiaries.csv" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "scan.pdf" })).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "survey.xlsx" })).toBeNull();
    expect(screen.queryByText(s.pick.drop_now)).toBeNull();
    expect(screen.getByRole("heading", { level: 2 })).toHaveTextContent(s.steps.review);
    expectNoRawKeys(missing);

    // Back: the first step listens again.
    await user.click(screen.getByRole("button", { name: catalogues[language].common.back }));
    await waitFor(() => expect(api.fileDropListeners()).toBe(1));
    act(() => api.dropFiles(DROPPED));
    await screen.findByRole("region", { name: "survey.xlsx" });
    expect(api.scanFiles).toHaveBeenLastCalledWith(DROPPED);
  });

  it("ignores a drop of nothing, and shows a failed scan at the first step", async () => {
    const api = fakeApi({
      scanFiles: vi.fn(async () => {
        throw new ApiError("not-a-file", "Not a file.");
      }),
    });
    const { missing } = renderIn(language, <SendScreen api={api} />);
    act(() => api.dropFiles([]));
    expect(api.scanFiles).not.toHaveBeenCalled();

    act(() => api.dropFiles(DROPPED));
    await screen.findByText(catalogues[language].errors["not-a-file"]);
    expect(api.scanFiles).toHaveBeenCalledWith(DROPPED);
    expect(document.getElementById("pick-files")).toBeEnabled();
    await waitFor(() => expect(api.fileDropListeners()).toBe(1));
    expectNoRawKeys(missing);
  });

  it("stops listening when the screen goes away", () => {
    const api = dropApi();
    const { unmount } = renderIn(language, <SendScreen api={api} />);
    expect(api.onFileDrop).toHaveBeenCalledOnce();
    expect(api.fileDropListeners()).toBe(1);
    unmount();
    expect(api.fileDropListeners()).toBe(0);
  });
});

describe("onFileDrop", () => {
  type Handler = (event: { payload: unknown }) => void;

  beforeEach(() => {
    onDragDropEvent.mockReset();
  });
  afterEach(() => {
    delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("does nothing outside the app", () => {
    const hover = vi.fn();
    const drop = vi.fn();
    const stop = onFileDrop({ hover, drop });
    expect(onDragDropEvent).not.toHaveBeenCalled();
    expect(() => stop()).not.toThrow();
  });

  it("reports hover and the dropped paths until told to stop", async () => {
    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    let handler: Handler | undefined;
    const unlisten = vi.fn(async () => undefined);
    onDragDropEvent.mockImplementation(async (callback: Handler) => {
      handler = callback;
      return unlisten;
    });
    const hover = vi.fn();
    const drop = vi.fn();
    const stop = onFileDrop({ hover, drop });
    await vi.waitFor(() => expect(handler).toBeDefined());

    handler!({ payload: { type: "enter", paths: ["/a.csv"], position: { x: 1, y: 1 } } });
    handler!({ payload: { type: "over", position: { x: 2, y: 2 } } });
    handler!({ payload: { type: "leave" } });
    expect(hover.mock.calls).toEqual([[true], [false]]);
    // Dragging something that is not a file (text, a link) highlights nothing.
    handler!({ payload: { type: "enter", paths: [], position: { x: 1, y: 1 } } });
    expect(hover.mock.calls).toEqual([[true], [false], [false]]);
    handler!({ payload: { type: "drop", paths: ["/a.csv", "/b.pdf"], position: { x: 3, y: 3 } } });
    expect(drop.mock.calls).toEqual([[["/a.csv", "/b.pdf"]]]);
    expect(hover.mock.calls).toEqual([[true], [false], [false], [false]]);

    stop();
    expect(unlisten).toHaveBeenCalledOnce();
    handler!({ payload: { type: "drop", paths: ["/c.csv"], position: { x: 3, y: 3 } } });
    expect(drop).toHaveBeenCalledOnce();
    stop();
    expect(unlisten).toHaveBeenCalledOnce();
  });

  it("stops even when told to before the subscription completed", async () => {
    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    let handler: Handler | undefined;
    let resolve: ((unlisten: () => Promise<void>) => void) | undefined;
    onDragDropEvent.mockImplementation(
      (callback: Handler) =>
        new Promise((done) => {
          handler = callback;
          resolve = done;
        }),
    );
    const drop = vi.fn();
    const stop = onFileDrop({ hover: vi.fn(), drop });
    await vi.waitFor(() => expect(resolve).toBeDefined());
    stop();
    // An event already on its way is not reported any more.
    handler!({ payload: { type: "drop", paths: ["/a.csv"], position: { x: 0, y: 0 } } });
    expect(drop).not.toHaveBeenCalled();
    const late = vi.fn(async () => undefined);
    resolve!(late);
    await waitFor(() => expect(late).toHaveBeenCalledOnce());
  });
});
