// Desktop notifications after a sync pass. The shell only shows them (`notify`); the UI words
// them, so that they are in the reader's language like everything else.
//
// A notification may show on a locked screen, a projector or a shared desk, so it says how
// many things came and never who sent them, what the files are called or how they are
// labelled: the app's own screens, behind the unlock, show that.

import type { TFunction } from "i18next";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import type { Api } from "./api";
import type { SyncReport } from "./bindings/SyncReport";
import type { SyncStatus } from "./bindings/SyncStatus";
import { formatList, formatNumber } from "./format";

/** What a pass brought that is worth telling the user about, counted. */
export interface NoticeCounts {
  /** Parcels to open: data, corrections and products. */
  parcels: number;
  /** Receipts for parcels this member sent (delivered, opened, deleted). */
  receipts: number;
  /** Senders asking this member to delete a parcel they sent. */
  requests: number;
  /** Partners asking this IMO what it holds of their data (access requests to answer). */
  access: number;
  /** Concerns reported to this coordinator or IMO. */
  concerns: number;
  /** Answers to this member's rights requests or concerns (or another handler's update). */
  answers: number;
}

/** Nothing at all: the counts a pass starts from. */
export const NO_NOTICE: NoticeCounts = { parcels: 0, receipts: 0, requests: 0, access: 0, concerns: 0, answers: 0 };

/** The kinds of received parcels that count as something new to open. */
const OPENABLE_KINDS: ReadonlySet<string> = new Set(["data", "correction", "product"]);

/** The parts of a notice, in the order they are read. */
const PARTS = ["parcels", "receipts", "requests", "access", "concerns", "answers"] as const satisfies readonly (keyof NoticeCounts)[];

/**
 * How many parcels, receipts, requests, concerns and answers a pass received. Other kinds (one
 * added in Rust later) are left out rather than guessed at; the screens still list them.
 */
export function noticeCounts(report: SyncReport): NoticeCounts {
  const counts: NoticeCounts = { ...NO_NOTICE };
  for (const received of report.received) {
    if (OPENABLE_KINDS.has(received.kind)) counts.parcels += 1;
    else if (received.kind === "receipt") counts.receipts += 1;
    else if (received.kind === "deletion-request") counts.requests += 1;
    else if (received.kind === "access-request") counts.access += 1;
    else if (received.kind === "concern") counts.concerns += 1;
    else if (received.kind === "request-update" || received.kind === "concern-update") counts.answers += 1;
  }
  return counts;
}

/**
 * The notification's text in `language` ("2 new parcels and 1 deletion request"), or null when
 * there is nothing to tell. It is built from the counts alone, so it cannot name anything.
 *
 * The catalogue's plural keys (`notifications.parcels_one`, `_other`) are chosen by i18next from
 * `count`; the number shown is `{{number}}`, formatted for the language (Myanmar digits in
 * Burmese), since i18next would show `count` with Latin digits.
 */
export function noticeText(counts: NoticeCounts, t: TFunction, language: string): string | null {
  const parts = PARTS.filter((part) => counts[part] > 0).map((part) =>
    t(`notifications.${part}`, { count: counts[part], number: formatNumber(counts[part], language) }),
  );
  return parts.length === 0 ? null : formatList(parts, language);
}

/**
 * Whether `status` is the end of a pass that has not been acted on: the sync is idle, the pass
 * time is new, and the pass succeeded. A failed pass keeps the previous pass's report (with a
 * new time), which must not be announced again; progress events during the next pass repeat the
 * last report too, and are not ends.
 */
export function isNewPassEnd(
  status: SyncStatus,
  lastActedOn: string | null,
): status is SyncStatus & { last_pass_at: string; report: SyncReport } {
  return (
    !status.running &&
    status.last_pass_at !== null &&
    status.last_pass_at !== lastActedOn &&
    status.error === null &&
    status.report !== null
  );
}

/**
 * Shows a desktop notification when a sync pass brings parcels, receipts or deletion requests,
 * once per pass, while `enabled` (unlocked and a member of a cluster).
 *
 * It listens to the `sync-status` events itself rather than reading the sync feed's state: the
 * feed is React state, and two events close together (a pass ending and the next one starting
 * at once after "Sync now") can reach a render as one, hiding the end. It never asks for the
 * status at the start either: the shell sends an idle status only when a pass ends, so every
 * end this hears is a pass that ended after the app was listening, and a pass the app already
 * had before (a reloaded window, the passes before the member joined) is never announced.
 * The pass time dedupes a status that repeats.
 *
 * A failing `notify` (no notification service on this machine) is ignored: the screens list
 * everything anyway.
 */
export function useSyncNotifications(api: Pick<Api, "onSyncStatus" | "notify">, enabled: boolean): void {
  const { i18n } = useTranslation();
  // Kept across subscriptions, so that re-subscribing (StrictMode, `enabled` toggling) never
  // announces the same pass twice.
  const lastActedOn = useRef<string | null>(null);
  useEffect(() => {
    if (!enabled) return;
    return api.onSyncStatus((status) => {
      if (!isNewPassEnd(status, lastActedOn.current)) return;
      lastActedOn.current = status.last_pass_at;
      // Worded in the language chosen now, not the one when the subscription started.
      const language = i18n.resolvedLanguage ?? i18n.language;
      const text = noticeText(noticeCounts(status.report), i18n.getFixedT(language), language);
      if (text === null) return;
      api.notify(text).catch(() => {
        // No notification service (a bare X server, a headless test): nothing to show.
      });
    });
  }, [api, enabled, i18n]);
}
