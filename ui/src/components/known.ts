import type { TFunction } from "i18next";

// Values Rust sends as plain strings (a parcel's kind, status, a receipt's event, a sync
// phase). Those the catalogues know are translated; a value added in Rust later is shown as it
// came rather than as a raw key.

export const PARCEL_KINDS = new Set(["data", "correction", "product", "concern", "receipt", "deletion-request"]);
export const INBOX_STATUSES = new Set(["new", "opened", "superseded", "deleted", "expired"]);
export const SENT_STATUSES = new Set(["queued", "sent", "superseded", "deletion-requested", "cancelled"]);
export const RECEIPT_EVENTS = new Set(["delivered", "opened", "deleted"]);
export const PHASES = new Set(["hashing", "sealing", "opening", "uploading", "downloading", "working"]);

/** The translation under `prefix` when `values` has the value, else the value itself. */
export function known(t: TFunction, prefix: string, values: ReadonlySet<string>, value: string): string {
  return values.has(value) ? t(`${prefix}.${value}`) : value;
}
