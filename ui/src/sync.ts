import { useEffect, useState } from "react";
import type { Api } from "./api";
import type { SyncStatus } from "./bindings/SyncStatus";

/** What the header's indicator shows (its `data-state`, which the end-to-end test reads). */
export type SyncState = "online" | "offline" | "syncing" | "unknown";

/** Syncing while a pass runs; otherwise whether the last pass reached the relay. */
export function syncState(status: SyncStatus | null): SyncState {
  if (status === null) return "unknown";
  if (status.running) return "syncing";
  if (status.online === true) return "online";
  if (status.online === false) return "offline";
  return "unknown";
}

/** The background sync as the screens see it. */
export interface SyncFeed {
  /** The latest status (null until the shell answered or sent an event). */
  status: SyncStatus | null;
  /** How many passes ended since the app was unlocked: the Sent screen reloads on each. */
  passes: number;
  /**
   * How many of those brought something for the inbox (a parcel received, erased at its
   * sender's request or expired): the Inbox reloads on each, not on every progress event.
   */
  inboxChanges: number;
}

export const NO_SYNC: SyncFeed = { status: null, passes: 0, inboxChanges: 0 };

/** The feed after one more status from the sync. */
export function nextFeed(previous: SyncFeed, status: SyncStatus): SyncFeed {
  const before = previous.status;
  // A pass ended: running went false, or a new pass time appeared (an event may be missed
  // while the window loads).
  const ended =
    !status.running &&
    status.last_pass_at !== null &&
    (before === null || before.running || before.last_pass_at !== status.last_pass_at);
  const report = status.report;
  const inboxChanged =
    ended && report !== null && report.received.length + report.erased.length + report.expired.length > 0;
  return {
    status,
    passes: previous.passes + (ended ? 1 : 0),
    inboxChanges: previous.inboxChanges + (inboxChanged ? 1 : 0),
  };
}

/**
 * Follows the background sync once the app is unlocked: the `sync-status` events, and the
 * status at the start (in case no event comes for a while: the sync runs every 30 s).
 */
export function useSyncFeed(api: Pick<Api, "onSyncStatus" | "syncStatus">, enabled: boolean): SyncFeed {
  const [feed, setFeed] = useState<SyncFeed>(NO_SYNC);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let heard = false;
    const stop = api.onSyncStatus((status) => {
      heard = true;
      if (live) setFeed((previous) => nextFeed(previous, status));
    });
    api.syncStatus().then(
      (status) => {
        // An event that came first is newer than this answer.
        if (live && !heard) setFeed((previous) => nextFeed(previous, status));
      },
      () => {
        // The indicator stays "unknown"; events may still come.
      },
    );
    return () => {
      live = false;
      stop();
    };
  }, [api, enabled]);
  return feed;
}
