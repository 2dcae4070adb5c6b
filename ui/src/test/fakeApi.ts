import { vi } from "vitest";
import type { Api, FileDropHandlers } from "../api";
import type { SyncStatus } from "../bindings/SyncStatus";
import { highlyConfidentialReview, idleStatus, unlockedSession } from "./fixtures";

/** What a test can do besides calling the commands: play the shell's events. */
export interface FakeShell {
  emitSync: (status: SyncStatus) => void;
  /** Files dragged over the window (true) or away from it (false), as `onFileDrop` reports. */
  hoverFiles: (over: boolean) => void;
  /** Files dropped onto the window: hover ends, then the paths arrive, as `onFileDrop` reports. */
  dropFiles: (paths: string[]) => void;
  /** How many `onFileDrop` subscriptions are live (not yet unsubscribed). */
  fileDropListeners: () => number;
}

/** A fake shell: every command answers from the fixtures unless overridden. */
export function fakeApi(overrides: Partial<Api> = {}): Api & FakeShell {
  const listeners = new Set<(status: SyncStatus) => void>();
  const dropListeners = new Set<FileDropHandlers>();
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
    onFileDrop: vi.fn((handlers: FileDropHandlers) => {
      // A copy per subscription, so that subscribing twice with the same object counts twice.
      const entry = { ...handlers };
      dropListeners.add(entry);
      return () => {
        dropListeners.delete(entry);
      };
    }),
    notify: vi.fn(async () => {}),
    correctParcel: vi.fn(async () => ({ parcel_id: "corr-1", kind: "correction", size: 1, recipients: [] })),
    deleteParcel: vi.fn(async (parcelId: string) => ({ parcel_id: parcelId, request_id: "del-1", recipients: [] })),
    createIdentity: vi.fn(async () => unlockedSession),
    restoreIdentity: vi.fn(async () => unlockedSession),
    joinCluster: vi.fn(async () => ({
      cluster_id: "c0ffee00c0ffee00c0ffee00c0ffee00",
      relay: "https://relay.example.org",
      request_id: "req-1",
      sent_to_relay: true,
      relay_error: null,
      request_file: "/home/aye/.local/share/sealpost/join-request-req-1.json",
      fingerprint: "12345 67890 12345 67890",
    })),
    inviteFromImage: vi.fn(async () => "SP-AAAAA-BBBBB"),
    pickImage: vi.fn(async () => null),
    pickBackup: vi.fn(async () => null),
    exportBackup: vi.fn(async () => null),
    exportSharingLog: vi.fn(async () => null),
    clusterView: vi.fn(async () => ({ name: "Shan Food Security Cluster", version: 3, expires_at: "2027-06-01T00:00:00Z", members: [], recovery_key: null, rights_response_days: 30 })),
    invites: vi.fn(async () => []),
    createInvite: vi.fn(async () => ({ invite_id: "inv-1", code: "SP-AAAAA-BBBBB", qr_svg: "<svg></svg>", expires_at: "2026-12-13T00:00:00Z" })),
    joinRequests: vi.fn(async () => ({ requests: [], relay_error: null })),
    approveRequest: vi.fn(async () => ({ name: "Daw Aye", what: "joined", version: 4, published: true, publish_error: null })),
    rejectRequest: vi.fn(async () => {}),
    removeMember: vi.fn(async () => ({ name: "U Zaw", what: "removed", version: 4, published: true, publish_error: null })),
    publishRoster: vi.fn(async () => ({ name: "Shan Food Security Cluster", what: "published", version: 3, published: true, publish_error: null })),
    setRelay: vi.fn(async () => {}),
    suggestPseudonymisation: vi.fn(async () => null),
    pseudonymiseFile: vi.fn(async () => {
      throw new Error("pseudonymiseFile: give the test's own fake");
    }),
    hasPseudonymKey: vi.fn(async () => true),
    importPseudonymKey: vi.fn(async () => {}),
    pickKeyFile: vi.fn(async () => null),
    concerns: vi.fn(async () => []),
    reportConcern: vi.fn(async () => ({ parcel_id: "concern-1", kind: "concern", size: 1, recipients: [] })),
    updateConcern: vi.fn(async () => ({ parcel_id: "update-1", kind: "concern-update", size: 1, recipients: [] })),
    publishProduct: vi.fn(async () => ({ parcel_id: "product-1", kind: "product", size: 1, recipients: [] })),
    rightsRequests: vi.fn(async () => []),
    requestAccess: vi.fn(async () => ({ parcel_id: "access-1", kind: "access-request", size: 1, recipients: [] })),
    updateRequest: vi.fn(async () => ({ parcel_id: "request-update-1", kind: "request-update", size: 1, recipients: [] })),
    createRecoveryKey: vi.fn(async () => ({ name: "/media/usb/cluster-recovery-key.age", what: "recovery-key-set", version: 5, published: true, publish_error: null })),
    removeRecoveryKey: vi.fn(async () => ({ name: "Shan Food Security Cluster", what: "recovery-key-removed", version: 6, published: true, publish_error: null })),
    emitSync: (status) => {
      for (const listener of listeners) listener(status);
    },
    hoverFiles: (over) => {
      // Like the real `onFileDrop`, a listener removed meanwhile hears nothing more.
      for (const listener of [...dropListeners]) if (dropListeners.has(listener)) listener.hover(over);
    },
    dropFiles: (paths) => {
      for (const listener of [...dropListeners]) {
        if (dropListeners.has(listener)) listener.hover(false);
        if (dropListeners.has(listener)) listener.drop(paths);
      }
    },
    fileDropListeners: () => dropListeners.size,
    ...overrides,
  };
}
