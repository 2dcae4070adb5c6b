import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
const listen = vi.fn();
vi.mock("@tauri-apps/api/event", () => ({ listen: (...args: unknown[]) => listen(...args) }));

const api = await import("./api");
const { ApiError, onSyncStatus, pickFiles, scanFiles, session } = api;

describe("api", () => {
  beforeEach(() => {
    invoke.mockReset();
    listen.mockReset();
  });
  afterEach(() => {
    delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("calls the shell's commands by name with their arguments", async () => {
    invoke.mockResolvedValueOnce({ card: null, unlocked: false, needs_passphrase: false });
    await expect(session()).resolves.toEqual({ card: null, unlocked: false, needs_passphrase: false });
    expect(invoke).toHaveBeenLastCalledWith("session", undefined);

    invoke.mockResolvedValueOnce({ reports: [], suggested: "public" });
    await scanFiles(["/tmp/a.csv", "/tmp/b.xlsx"]);
    expect(invoke).toHaveBeenLastCalledWith("scan_files", { paths: ["/tmp/a.csv", "/tmp/b.xlsx"] });

    invoke.mockResolvedValueOnce(["/home/aye/list.csv"]);
    await expect(pickFiles()).resolves.toEqual(["/home/aye/list.csv"]);
    expect(invoke).toHaveBeenLastCalledWith("pick_files", undefined);
  });

  it("passes camelCase argument names, which Tauri maps to the Rust parameters", async () => {
    invoke.mockResolvedValue(null);
    await api.unlock("secret words");
    expect(invoke).toHaveBeenLastCalledWith("unlock", { passphrase: "secret words" });
    await api.unlock(null);
    expect(invoke).toHaveBeenLastCalledWith("unlock", { passphrase: null });
    const request = { files: ["/a.csv"], to: ["m-2"], label: "restricted" as const, override_reason: null, note: null };
    await api.send(request);
    expect(invoke).toHaveBeenLastCalledWith("send", { request });
    await api.openParcels(["p-1", "p-2"], null);
    expect(invoke).toHaveBeenLastCalledWith("open_parcels", { parcelIds: ["p-1", "p-2"], dir: null });
    for (const [call, command] of [
      [api.pickFolder, "pick_folder"],
      [api.contacts, "contacts"],
      [api.outbox, "outbox"],
      [api.inbox, "inbox"],
      [api.sent, "sent"],
      [api.syncNow, "sync_now"],
      [api.syncStatus, "sync_status"],
    ] as const) {
      await call();
      expect(invoke).toHaveBeenLastCalledWith(command, undefined);
    }
  });

  it("listens to sync-status events until told to stop, even before listening started", async () => {
    const unlisten = vi.fn();
    let handler: ((event: { payload: unknown }) => void) | undefined;
    listen.mockImplementation(async (name: string, callback: typeof handler) => {
      expect(name).toBe("sync-status");
      handler = callback;
      return unlisten;
    });
    const seen: unknown[] = [];
    const stop = onSyncStatus((status) => seen.push(status));
    await vi.waitFor(() => expect(handler).toBeDefined());
    handler!({ payload: { running: true } });
    expect(seen).toEqual([{ running: true }]);
    stop();
    expect(unlisten).toHaveBeenCalledOnce();
    handler!({ payload: { running: false } });
    expect(seen).toHaveLength(1);

    // Stopped before `listen` resolved: the listener is removed when it does.
    const late = vi.fn();
    listen.mockImplementation(async () => late);
    onSyncStatus(() => {})();
    await vi.waitFor(() => expect(late).toHaveBeenCalledOnce());
  });

  it("turns the shell's {code, message} into an ApiError with that code", async () => {
    invoke.mockRejectedValueOnce({ code: "not-a-recipient", message: "You are not a recipient." });
    const error = await scanFiles(["x"]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "not-a-recipient", message: "You are not a recipient." });
  });

  it("says when there is no shell, and when a rejection has an unexpected shape", async () => {
    invoke.mockRejectedValueOnce(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    await expect(session()).rejects.toMatchObject({ code: ApiError.IPC_UNAVAILABLE });

    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    invoke.mockRejectedValueOnce("a bare string");
    await expect(session()).rejects.toMatchObject({ code: ApiError.UNEXPECTED, message: "a bare string" });
  });
});
