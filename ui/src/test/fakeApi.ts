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
    clusterView: vi.fn(async () => ({ name: "Shan Food Security Cluster", version: 3, expires_at: "2027-06-01T00:00:00Z", members: [] })),
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
    emitSync: (status) => {
      for (const listener of listeners) listener(status);
    },
    ...overrides,
  };
}
