// The only place the UI talks to the Rust shell (src-tauri/). Each function wraps one Tauri
// command; the types come from Rust through ts-rs (src/bindings/, generated, never edited).
//
// Errors from commands arrive as `AppError` ({code, message}); they are thrown here as
// `ApiError`. Components branch on `code` (a stable string such as `not-a-recipient`), never on
// `message`, which is English text for people and may change.
//
// Argument names: Tauri turns the camelCase keys passed here into the snake_case parameters of
// the Rust commands (`parcelIds` → `parcel_ids`), so they are written in camelCase.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { AppError } from "./bindings/AppError";
import type { Contact } from "./bindings/Contact";
import type { InboxEntry } from "./bindings/InboxEntry";
import type { OpenOutcome } from "./bindings/OpenOutcome";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Queued } from "./bindings/Queued";
import type { Review } from "./bindings/Review";
import type { SendRequest } from "./bindings/SendRequest";
import type { SentEntry } from "./bindings/SentEntry";
import type { Session } from "./bindings/Session";
import type { SyncStatus } from "./bindings/SyncStatus";

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

/** Who this app belongs to (no card before onboarding) and whether it is unlocked. */
export function session(): Promise<Session> {
  return call<Session>("session");
}

/**
 * Unlocks the identity and starts the background sync: with the passphrase when the session
 * says `needs_passphrase`, else `null` (the OS keyring). Rejects with `wrong-passphrase`,
 * `passphrase-required`, `passphrase-empty`, `keyring-unavailable`, …
 */
export function unlock(passphrase: string | null): Promise<Session> {
  return call<Session>("unlock", { passphrase });
}

/** The native "choose files" dialog; an empty list when the user cancels. */
export function pickFiles(): Promise<string[]> {
  return call<string[]>("pick_files");
}

/** The native "choose a folder" dialog; null when the user cancels. */
export function pickFolder(): Promise<string | null> {
  return call<string | null>("pick_folder");
}

/** Scans files before sealing (crates/scan via sealpost_core::review): the suggested label and why. */
export function scanFiles(paths: string[]): Promise<Review> {
  return call<Review>("scan_files", { paths });
}

/** Everyone this member can send to, IMOs first; empty until a roster came from the relay. */
export function contacts(): Promise<Contact[]> {
  return call<Contact[]>("contacts");
}

/**
 * Scans the files again, checks the label, seals the parcel into the outbox and asks the sync
 * to send it. Resolves as soon as the parcel is in the outbox, online or not.
 */
export function send(request: SendRequest): Promise<Queued> {
  return call<Queued>("send", { request });
}

/** Parcels waiting to go, with the bytes the relay has confirmed. */
export function outbox(): Promise<OutboxEntry[]> {
  return call<OutboxEntry[]>("outbox");
}

/** Parcels received, newest first. */
export function inbox(): Promise<InboxEntry[]> {
  return call<InboxEntry[]>("inbox");
}

/** Parcels sent, each with its recipients and their receipts: the sharing log. */
export function sent(): Promise<SentEntry[]> {
  return call<SentEntry[]>("sent");
}

/**
 * Opens parcels into `dir` (each in its own folder), or Sealpost's own folder when `dir` is
 * null. Resolves with one outcome per parcel: one failing never hides the others.
 */
export function openParcels(parcelIds: string[], dir: string | null): Promise<OpenOutcome[]> {
  return call<OpenOutcome[]>("open_parcels", { parcelIds, dir });
}

/** Asks the background sync for a pass now; its progress arrives as `sync-status` events. */
export async function syncNow(): Promise<void> {
  await call<null>("sync_now");
}

/** The background sync's latest state (for a screen that has not had an event yet). */
export function syncStatus(): Promise<SyncStatus> {
  return call<SyncStatus>("sync_status");
}

/** The event the background sync emits on every change (src-tauri/src/sync.rs, `EVENT`). */
export const SYNC_STATUS_EVENT = "sync-status";

/**
 * Calls `callback` with every `sync-status` event until the returned function is called.
 * Subscribing is asynchronous in Tauri; the returned function is not, so that a React effect
 * can clean up at once (an unsubscribe before the subscription completed is honoured when it
 * does). Outside the shell there are no events, and nothing is reported.
 */
export function onSyncStatus(callback: (status: SyncStatus) => void): () => void {
  let stopped = false;
  let unlisten: (() => void) | null = null;
  listen<SyncStatus>(SYNC_STATUS_EVENT, (event) => {
    if (!stopped) callback(event.payload);
  }).then(
    (stop) => {
      if (stopped) stop();
      else unlisten = stop;
    },
    () => {
      // No shell behind the window: the indicator stays "unknown", as it should.
    },
  );
  return () => {
    stopped = true;
    unlisten?.();
  };
}

/** The commands the screens use; screens take this as a prop so tests can pass fakes. */
export interface Api {
  session: typeof session;
  unlock: typeof unlock;
  pickFiles: typeof pickFiles;
  pickFolder: typeof pickFolder;
  scanFiles: typeof scanFiles;
  contacts: typeof contacts;
  send: typeof send;
  outbox: typeof outbox;
  inbox: typeof inbox;
  sent: typeof sent;
  openParcels: typeof openParcels;
  syncNow: typeof syncNow;
  syncStatus: typeof syncStatus;
  onSyncStatus: typeof onSyncStatus;
}

export const api: Api = {
  session,
  unlock,
  pickFiles,
  pickFolder,
  scanFiles,
  contacts,
  send,
  outbox,
  inbox,
  sent,
  openParcels,
  syncNow,
  syncStatus,
  onSyncStatus,
};

/** Tells the shell the UI has painted its first frame (for bench/desktop's start-up figure). */
export function reportFirstPaint(): void {
  // Outside the app there is no shell to tell, and a lost measurement is harmless.
  call<null>("first_paint").catch(() => undefined);
}
