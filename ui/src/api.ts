// The only place the UI talks to the Rust shell (src-tauri/). Each function wraps one Tauri
// command; the types come from Rust through ts-rs (src/bindings/, generated, never edited).
//
// Errors from commands arrive as `AppError` ({code, message}); they are thrown here as
// `ApiError`. Components branch on `code` (a stable string such as `not-a-recipient`), never on
// `message`, which is English text for people and may change.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { MemberCard } from "./bindings/MemberCard";
import type { Review } from "./bindings/Review";

/** An error returned by a command, or the failure to reach the shell at all. */
export class ApiError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
  }

  /** What the UI shows when the shell itself is missing (e.g. `npm run dev` in a browser). */
  static readonly IPC_UNAVAILABLE = "ipc-unavailable";
  /** A rejection that was not an `AppError`: a bug in the shell or in this file. */
  static readonly UNEXPECTED = "unexpected";
}

/** Whether a value has the shape of the shell's `AppError`. */
export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** Turns whatever a command rejected with into an `ApiError`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isAppError(error)) return new ApiError(error.code, error.message);
  if (typeof window !== "undefined" && !("__TAURI_INTERNALS__" in window)) {
    return new ApiError(ApiError.IPC_UNAVAILABLE, "Not running inside the Sealpost app.");
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(ApiError.UNEXPECTED, message);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await tauriInvoke<T>(command, args);
  } catch (error) {
    throw toApiError(error);
  }
}

/** This computer's identity, or null when none has been created or joined yet. */
export function whoami(): Promise<MemberCard | null> {
  return call<MemberCard | null>("whoami");
}

/** Scans files before sealing (crates/scan via sealpost_core::review): the suggested label and why. */
export function scanFiles(paths: string[]): Promise<Review> {
  return call<Review>("scan_files", { paths });
}

/** The commands the screens use; screens take this as a prop so tests can pass fakes. */
export interface Api {
  whoami: typeof whoami;
  scanFiles: typeof scanFiles;
}

export const api: Api = { whoami, scanFiles };

/** The native "choose files" dialog; an empty list when the user cancels. */
export function pickFiles(): Promise<string[]> {
  return call<string[]>("pick_files");
}
