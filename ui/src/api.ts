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
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { AppError } from "./bindings/AppError";
import type { ClusterView } from "./bindings/ClusterView";
import type { ConcernEntry } from "./bindings/ConcernEntry";
import type { ProductRequest } from "./bindings/ProductRequest";
import type { RightsRequest } from "./bindings/RightsRequest";
import type { Contact } from "./bindings/Contact";
import type { CorrectRequest } from "./bindings/CorrectRequest";
import type { DeletionRequested } from "./bindings/DeletionRequested";
import type { InviteSummary } from "./bindings/InviteSummary";
import type { JoinRequests } from "./bindings/JoinRequests";
import type { Label } from "./bindings/Label";
import type { Joined } from "./bindings/Joined";
import type { NewInvite } from "./bindings/NewInvite";
import type { RosterChanged } from "./bindings/RosterChanged";
import type { InboxEntry } from "./bindings/InboxEntry";
import type { OpenOutcome } from "./bindings/OpenOutcome";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { PseudonymPlan } from "./bindings/PseudonymPlan";
import type { PseudonymisedCopy } from "./bindings/PseudonymisedCopy";
import type { Queued } from "./bindings/Queued";
import type { Review } from "./bindings/Review";
import type { SendRequest } from "./bindings/SendRequest";
import type { SentEntry } from "./bindings/SentEntry";
import type { Session } from "./bindings/Session";
import type { SharingLogFormat } from "./bindings/SharingLogFormat";
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

/**
 * Sends corrected files to the recipients of a parcel this member sent (a `correction` that
 * supersedes it). The files are scanned again; a label below the suggestion needs a reason.
 */
export function correctParcel(request: CorrectRequest): Promise<Queued> {
  return call<Queued>("correct_parcel", { request });
}

/**
 * Deletes a parcel this member sent: the relay's copy, and a deletion request to every
 * recipient. A parcel still uploading is cancelled instead (`request_id` is then null).
 */
export function deleteParcel(parcelId: string): Promise<DeletionRequested> {
  return call<DeletionRequested>("delete_parcel", { parcelId });
}

/**
 * Creates this computer's identity and unlocks it. With `passphrase` null the keys go to the
 * OS keyring; where there is none this rejects with `keyring-unavailable`, and the screen asks
 * for a passphrase and calls again.
 */
export function createIdentity(name: string, org: string, passphrase: string | null): Promise<Session> {
  return call<Session>("create_identity", { name, org, passphrase });
}

/** Restores an identity from a backup file into this (empty) computer, and unlocks it. */
export function restoreIdentity(path: string, passphrase: string | null): Promise<Session> {
  return call<Session>("restore_identity", { path, passphrase });
}

/** Answers an invite code: pins the cluster, sends the join request to the relay. */
export function joinCluster(code: string): Promise<Joined> {
  return call<Joined>("join_cluster", { code });
}

/** Reads the invite code from a picture (PNG/JPEG) of its QR code; rejects with `no-qr-code`, `invalid-invite`, … */
export function inviteFromImage(path: string): Promise<string> {
  return call<string>("invite_from_image", { path });
}

/** The native dialog to choose a picture; null when the user cancels. */
export function pickImage(): Promise<string | null> {
  return call<string | null>("pick_image");
}

/** The native dialog to choose a backup file; null when the user cancels. */
export function pickBackup(): Promise<string | null> {
  return call<string | null>("pick_backup");
}

/** Writes a passphrase-protected backup where the user chooses; the path, or null when cancelled. */
export function exportBackup(passphrase: string): Promise<string | null> {
  return call<string | null>("export_backup", { passphrase });
}

/**
 * Writes the sharing log (every parcel sent, its recipients and their receipts) as CSV or as an
 * HTML page where the user chooses, in the native save dialog titled `title` (the UI's words);
 * the path, or null when cancelled. Never replaces a file: rejects with `file-exists`.
 */
export function exportSharingLog(format: SharingLogFormat, title: string): Promise<string | null> {
  return call<string | null>("export_sharing_log", { format, title });
}

/** The roster held: the cluster and its members, with a safety number for each. */
export function clusterView(): Promise<ClusterView> {
  return call<ClusterView>("cluster_view");
}

/** The coordinator's invites, newest first (never their codes). */
export function invites(): Promise<InviteSummary[]> {
  return call<InviteSummary[]>("invites");
}

/** Issues an invite for one person: the code and its QR code (SVG). `days` null: the default. */
export function createInvite(role: string, org: string | null, days: number | null): Promise<NewInvite> {
  return call<NewInvite>("create_invite", { role, org, days });
}

/** The requests waiting for the coordinator, fetched from the relay first. */
export function joinRequests(): Promise<JoinRequests> {
  return call<JoinRequests>("join_requests");
}

/** Approves a request: the next roster version, published to the relay. */
export function approveRequest(id: string): Promise<RosterChanged> {
  return call<RosterChanged>("approve_request", { id });
}

/** Drops a request without approving it. */
export async function rejectRequest(id: string): Promise<void> {
  await call<null>("reject_request", { id });
}

/** Removes a member: the next roster version, published. */
export function removeMember(memberId: string): Promise<RosterChanged> {
  return call<RosterChanged>("remove_member", { memberId });
}

/** Uploads the roster held to the relay again. */
export function publishRoster(): Promise<RosterChanged> {
  return call<RosterChanged>("publish_roster");
}

/** Sets the relay address (`https://host[:port]`); rejects with `invalid-argument` otherwise. */
export async function setRelay(url: string): Promise<void> {
  await call<null>("set_relay", { url });
}

/**
 * The pseudonymisation plan the scan's findings suggest for one file; null when there is
 * nothing to change, the file could not be scanned, or it has several sheets.
 */
export function suggestPseudonymisation(path: string): Promise<PseudonymPlan | null> {
  return call<PseudonymPlan | null>("suggest_pseudonymisation", { path });
}

/**
 * Makes a pseudonymised copy in Sealpost's own folder under the cluster's key, and scans it.
 * Rejects with `pseudonym-key-missing` when this computer has no key yet, `unknown-column`, …
 */
export function pseudonymiseFile(path: string, plan: PseudonymPlan): Promise<PseudonymisedCopy> {
  return call<PseudonymisedCopy>("pseudonymise_file", { path, plan });
}

/** Whether this computer holds the cluster's pseudonymisation key. */
export function hasPseudonymKey(): Promise<boolean> {
  return call<boolean>("has_pseudonym_key");
}

/** Keeps a key file (sent through Sealpost) as this computer's pseudonymisation key. */
export async function importPseudonymKey(path: string): Promise<void> {
  await call<null>("import_pseudonym_key", { path });
}

/** The native dialog to choose the key file; null when the user cancels. */
export function pickKeyFile(): Promise<string | null> {
  return call<string | null>("pick_key_file");
}

/**
 * The concerns this member reported (`direction` "reported") and those they received to handle
 * as a coordinator or IMO ("received"), each with its status and updates.
 */
export function concerns(): Promise<ConcernEntry[]> {
  return call<ConcernEntry[]>("concerns");
}

/**
 * Seals a concern (the note, optional files, under `label`) to every coordinator and IMO of the
 * cluster and nobody else. A blank note rejects with `not-allowed`.
 */
export function reportConcern(note: string, paths: string[], label: Label): Promise<Queued> {
  return call<Queued>("report_concern", { note, paths, label });
}

/** Sends a status update (one of `CONCERN_STATUSES`) on a concern received, to its reporter. */
export function updateConcern(concernId: string, status: string, note: string | null): Promise<Queued> {
  return call<Queued>("update_concern", { concernId, status, note });
}

/**
 * Publishes an information product (an IMO's report, map or table) made from received parcels
 * (`sources`): sealed to exactly the partners who sent them. The label rule is the send rule.
 */
export function publishProduct(request: ProductRequest): Promise<Queued> {
  return call<Queued>("publish_product", { request });
}

/**
 * The rights requests (access, correction, deletion) this member made (`direction` "made") and
 * those it received to handle ("received"), newest first, with due dates and overdue ones.
 */
export function rightsRequests(): Promise<RightsRequest[]> {
  return call<RightsRequest[]>("rights_requests");
}

/**
 * Asks the cluster's IMOs what they hold of this member's data, about one parcel it sent
 * (`about`) or everything (`null`). A blank note rejects with `not-allowed`.
 */
export function requestAccess(about: string | null, note: string): Promise<Queued> {
  return call<Queued>("request_access", { about, note });
}

/**
 * Answers a rights request received (`status`: one of `REQUEST_STATUSES`), to the requester
 * alone. Declining without a note rejects with `not-allowed`.
 */
export function updateRequest(requestId: string, status: string, note: string | null): Promise<Queued> {
  return call<Queued>("update_request", { requestId, status, note });
}

/**
 * Coordinator: makes the cluster's recovery key, saved where the native dialog (titled `title`)
 * says under `passphrase`, and names it in the next roster (published). Null when the dialog was
 * cancelled. A weak passphrase rejects before the dialog opens.
 */
export function createRecoveryKey(passphrase: string, title: string): Promise<RosterChanged | null> {
  return call<RosterChanged | null>("create_recovery_key", { passphrase, title });
}

/** Coordinator: the next roster names no recovery key (new parcels are sealed to their addressees only). */
export function removeRecoveryKey(): Promise<RosterChanged> {
  return call<RosterChanged>("remove_recovery_key");
}

/** Asks the background sync for a pass now; its progress arrives as `sync-status` events. */
export async function syncNow(): Promise<void> {
  await call<null>("sync_now");
}

/**
 * Shows a desktop notification titled "Sealpost" with `body` (1 to 300 characters; rejects with
 * `invalid-argument` otherwise). The UI words it, so that it is in the reader's language; it
 * must never name a sender, a file or a label, since it may show on a locked screen. Without a
 * notification service the shell shows nothing and still resolves.
 */
export async function notify(body: string): Promise<void> {
  await call<null>("notify", { body });
}

/** The background sync's latest state (for a screen that has not had an event yet). */
export function syncStatus(): Promise<SyncStatus> {
  return call<SyncStatus>("sync_status");
}

/** The event the background sync emits on every change (src-tauri/src/sync.rs, `EVENT`). */
export const SYNC_STATUS_EVENT = "sync-status";

/**
 * Starts a Tauri subscription and returns a function that ends it. Subscribing is asynchronous
 * in Tauri; the returned function is not, so that a React effect can clean up at once: an
 * unsubscribe before the subscription completed is honoured when it does, and `live()` (for the
 * handler) is false from the moment it is called. A subscription that cannot start (no shell
 * behind the window) reports nothing.
 */
function subscribe(start: (live: () => boolean) => Promise<() => unknown>): () => void {
  let stopped = false;
  let unlisten: (() => unknown) | null = null;
  const end = (stop: () => unknown) => {
    try {
      // Tauri's unlisten functions may return a promise; a failure to unlisten is not ours to show.
      const result = stop();
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // As above.
    }
  };
  let started: Promise<() => unknown>;
  try {
    started = start(() => !stopped);
  } catch {
    return () => {};
  }
  started.then(
    (stop) => {
      if (stopped) end(stop);
      else unlisten = stop;
    },
    () => {
      // No shell behind the window: nothing to report, as it should be.
    },
  );
  return () => {
    if (stopped) return;
    stopped = true;
    if (unlisten) end(unlisten);
  };
}

/**
 * Calls `callback` with every `sync-status` event until the returned function is called (at
 * once, even before the subscription completed). Outside the shell there are no events, and
 * nothing is reported: the indicator stays "unknown".
 */
export function onSyncStatus(callback: (status: SyncStatus) => void): () => void {
  return subscribe((live) =>
    listen<SyncStatus>(SYNC_STATUS_EVENT, (event) => {
      if (live()) callback(event.payload);
    }),
  );
}

/** What the Send screen hears of files dragged from the OS onto the window. */
export interface FileDropHandlers {
  /** True while files are dragged over the window, false when they leave or are dropped. */
  hover: (over: boolean) => void;
  /** The files dropped onto the window, as paths on this computer (may be empty). */
  drop: (paths: string[]) => void;
}

/**
 * Reports files dragged and dropped onto the window until the returned function is called (at
 * once, even before the subscription completed). The webview gives the dropped files' real
 * paths (an HTML drop event does not, in Tauri). Outside the shell nothing is ever dropped.
 */
export function onFileDrop(handlers: FileDropHandlers): () => void {
  if (typeof window === "undefined" || !("__TAURI_INTERNALS__" in window)) return () => {};
  return subscribe((live) =>
    getCurrentWebview().onDragDropEvent((event) => {
      if (!live()) return;
      const payload = event.payload;
      switch (payload.type) {
        case "enter":
          // Something other than files (text, a link) brings no paths: nothing to highlight.
          handlers.hover(payload.paths.length > 0);
          break;
        case "over":
          break;
        case "leave":
          handlers.hover(false);
          break;
        case "drop":
          handlers.hover(false);
          handlers.drop(payload.paths);
          break;
      }
    }),
  );
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
  onFileDrop: typeof onFileDrop;
  notify: typeof notify;
  correctParcel: typeof correctParcel;
  deleteParcel: typeof deleteParcel;
  createIdentity: typeof createIdentity;
  restoreIdentity: typeof restoreIdentity;
  joinCluster: typeof joinCluster;
  inviteFromImage: typeof inviteFromImage;
  pickImage: typeof pickImage;
  pickBackup: typeof pickBackup;
  exportBackup: typeof exportBackup;
  exportSharingLog: typeof exportSharingLog;
  clusterView: typeof clusterView;
  invites: typeof invites;
  createInvite: typeof createInvite;
  joinRequests: typeof joinRequests;
  approveRequest: typeof approveRequest;
  rejectRequest: typeof rejectRequest;
  removeMember: typeof removeMember;
  publishRoster: typeof publishRoster;
  setRelay: typeof setRelay;
  suggestPseudonymisation: typeof suggestPseudonymisation;
  pseudonymiseFile: typeof pseudonymiseFile;
  hasPseudonymKey: typeof hasPseudonymKey;
  importPseudonymKey: typeof importPseudonymKey;
  pickKeyFile: typeof pickKeyFile;
  concerns: typeof concerns;
  reportConcern: typeof reportConcern;
  updateConcern: typeof updateConcern;
  publishProduct: typeof publishProduct;
  rightsRequests: typeof rightsRequests;
  requestAccess: typeof requestAccess;
  updateRequest: typeof updateRequest;
  createRecoveryKey: typeof createRecoveryKey;
  removeRecoveryKey: typeof removeRecoveryKey;
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
  onFileDrop,
  notify,
  correctParcel,
  deleteParcel,
  createIdentity,
  restoreIdentity,
  joinCluster,
  inviteFromImage,
  pickImage,
  pickBackup,
  exportBackup,
  exportSharingLog,
  clusterView,
  invites,
  createInvite,
  joinRequests,
  approveRequest,
  rejectRequest,
  removeMember,
  publishRoster,
  setRelay,
  suggestPseudonymisation,
  pseudonymiseFile,
  hasPseudonymKey,
  importPseudonymKey,
  pickKeyFile,
  concerns,
  reportConcern,
  updateConcern,
  publishProduct,
  rightsRequests,
  requestAccess,
  updateRequest,
  createRecoveryKey,
  removeRecoveryKey,
};

/** Tells the shell the UI has painted its first frame (for bench/desktop's start-up figure). */
export function reportFirstPaint(): void {
  // Outside the app there is no shell to tell, and a lost measurement is harmless.
  call<null>("first_paint").catch(() => undefined);
}
