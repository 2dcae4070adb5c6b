import { vi } from "vitest";
import type { Api } from "../api";
import type { SyncStatus } from "../bindings/SyncStatus";
import { highlyConfidentialReview, idleStatus, unlockedSession } from "./fixtures";

/** A fake shell: every command answers from the fixtures unless overridden. */
export function fakeApi(overrides: Partial<Api> = {}): Api & { emitSync: (status: SyncStatus) => void } {
  const listeners = new Set<(status: SyncStatus) => void>();
  return {
    session: vi.fn(async () => unlockedSession),
    unlock: vi.fn(async () => unlockedSession),
    pickFiles: vi.fn(async () => ["/home/aye/beneficiaries.csv", "/home/aye/scan.pdf"]),
    pickFolder: vi.fn(async () => null),
    scanFiles: vi.fn(async () => highlyConfidentialReview),
    contacts: vi.fn(async () => []),
    send: vi.fn(async () => ({ parcel_id: "new-1", kind: "data", size: 1, recipients: [] })),
    outbox: vi.fn(async () => []),
    inbox: vi.fn(async () => []),
    sent: vi.fn(async () => []),
    openParcels: vi.fn(async () => []),
    syncNow: vi.fn(async () => {}),
    syncStatus: vi.fn(async () => idleStatus),
    onSyncStatus: vi.fn((callback: (status: SyncStatus) => void) => {
      listeners.add(callback);
      return () => listeners.delete(callback);
    }),
    emitSync: (status) => {
      for (const listener of listeners) listener(status);
    },
    ...overrides,
  };
}
