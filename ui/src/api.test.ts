import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { ApiError, pickFiles, scanFiles, whoami } = await import("./api");

describe("api", () => {
  beforeEach(() => invoke.mockReset());
  afterEach(() => {
    delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("calls the shell's commands by name with their arguments", async () => {
    invoke.mockResolvedValueOnce({ name: "Daw Aye Aye", member_id: "m1", fingerprint: "ab12" });
    await expect(whoami()).resolves.toEqual({ name: "Daw Aye Aye", member_id: "m1", fingerprint: "ab12" });
    expect(invoke).toHaveBeenLastCalledWith("whoami", undefined);

    invoke.mockResolvedValueOnce({ reports: [], suggested: "public" });
    await scanFiles(["/tmp/a.csv", "/tmp/b.xlsx"]);
    expect(invoke).toHaveBeenLastCalledWith("scan_files", { paths: ["/tmp/a.csv", "/tmp/b.xlsx"] });

    invoke.mockResolvedValueOnce(["/home/aye/list.csv"]);
    await expect(pickFiles()).resolves.toEqual(["/home/aye/list.csv"]);
    expect(invoke).toHaveBeenLastCalledWith("pick_files", undefined);
  });

  it("turns the shell's {code, message} into an ApiError with that code", async () => {
    invoke.mockRejectedValueOnce({ code: "not-a-recipient", message: "You are not a recipient." });
    const error = await scanFiles(["x"]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "not-a-recipient", message: "You are not a recipient." });
  });

  it("says when there is no shell, and when a rejection has an unexpected shape", async () => {
    invoke.mockRejectedValueOnce(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    await expect(whoami()).rejects.toMatchObject({ code: ApiError.IPC_UNAVAILABLE });

    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    invoke.mockRejectedValueOnce("a bare string");
    await expect(whoami()).rejects.toMatchObject({ code: ApiError.UNEXPECTED, message: "a bare string" });
  });
});
