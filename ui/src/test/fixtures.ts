import type { MemberEntry } from "../bindings/MemberEntry";
import type { ConcernEntry } from "../bindings/ConcernEntry";
import type { Contact } from "../bindings/Contact";
import type { InboxEntry } from "../bindings/InboxEntry";
import type { MemberCard } from "../bindings/MemberCard";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { Review } from "../bindings/Review";
import type { RightsRequest } from "../bindings/RightsRequest";
import type { SentEntry } from "../bindings/SentEntry";
import type { ClusterState } from "../bindings/ClusterState";
import type { Session } from "../bindings/Session";
import type { SyncStatus } from "../bindings/SyncStatus";

/** A review as the shell would send it: one beneficiary list, one unreadable file. */
export const highlyConfidentialReview: Review = {
  suggested: "highly-confidential",
  reports: [
    {
      file: "beneficiaries.csv",
      suggested_label: "highly-confidential",
      scanned: true,
      reasons: [
        {
          code: "phone",
          label: "highly-confidential",
          message:
            'It contains phone numbers. A phone number identifies and reaches a person. Found 1023 time(s) in column "ဖုန်းနံပါတ်".',
        },
        {
          code: "admin4_location",
          label: "confidential",
          message: "It gives precise locations: village tracts, wards, towns or villages (admin level 4 or below).",
        },
      ],
      sheets: [
        {
          name: "beneficiaries.csv",
          rows: 1023,
          label: "highly-confidential",
          findings: [
            { code: "phone", column: "ဖုန်းနံပါတ်", count: 1023, examples: ["09•••••4567", "09•••••1234"] },
            { code: "person_name", column: "Name", count: 1020, examples: ["D•• A•• A••"] },
            { code: "household", column: null, count: 1023, examples: [] },
          ],
        },
      ],
      warnings: ["Some text looks Zawgyi-encoded: names typed in Zawgyi may be missed."],
    },
    {
      file: "scan.pdf",
      suggested_label: "highly-confidential",
      scanned: false,
      reasons: [
        {
          code: "could_not_scan",
          label: "highly-confidential",
          message: "The file could not be checked. What went wrong: not a table.",
        },
      ],
      sheets: [],
      warnings: [],
    },
  ],
};

/** A review whose suggestion is in the middle of the order. */
export const confidentialReview: Review = {
  suggested: "confidential",
  reports: [
    {
      file: "survey.xlsx",
      suggested_label: "confidential",
      scanned: true,
      reasons: [{ code: "raw_survey", label: "confidential", message: "It is raw survey data." }],
      sheets: [
        { name: "Data", rows: 40, label: "confidential", findings: [] },
      ],
      warnings: [],
    },
  ],
};

export const card: MemberCard = {
  member_id: "m-1",
  name: "Daw Aye Aye",
  org: "Shwe Partners",
  age_recipient: "age1example",
  signing_key: "ed25519-example",
  fingerprint: "3f2a 91bc",
};

/** A partner's cluster once the coordinator approved the join (roster version 3 lists them). */
export const memberCluster: ClusterState = {
  cluster_id: "c0ffee00c0ffee00c0ffee00c0ffee00",
  relay: "https://relay.example.org",
  name: "Shan Food Security Cluster",
  roster_version: 3,
  member: true,
  roles: ["partner"],
  coordinator: false,
};

export const unlockedSession: Session = { card, unlocked: true, needs_passphrase: false, cluster: memberCluster };

/** Two IMOs (the default recipients) and a partner, as `contacts` lists them: IMOs first. */
export const contactList: Contact[] = [
  { member_id: "imo-1", name: "Ko Min Thu", org: "Cluster IMO team", roles: ["imo"], default_recipient: true },
  { member_id: "imo-2", name: "Ma Hnin", org: "Cluster IMO team", roles: ["imo", "coordinator"], default_recipient: true },
  { member_id: "p-9", name: "U Zaw", org: "Yoma Relief", roles: ["partner"], default_recipient: false },
];

/** One verified highly confidential parcel, one from an unknown sender, one expired. */
export const inboxEntries: InboxEntry[] = [
  {
    parcel_id: "p-hc",
    kind: "data",
    label: "highly-confidential",
    sender: { member_id: "imo-1", name: "Ko Min Thu", org: "Cluster IMO team" },
    sender_status: "verified",
    files: [
      { name: "beneficiaries.csv", size: 1_200_000 },
      { name: "readme.txt", size: 300 },
    ],
    received_at: "2025-03-04T05:06:07Z",
    created_at: "2025-03-04T05:00:00Z",
    status: "new",
    note: "ဒီလစာရင်း — March list",
    supersedes: null,
    superseded_by: null,
    keep_until: "2025-06-02T00:00:00Z",
  },
  {
    parcel_id: "p-restricted",
    kind: "data",
    label: "restricted",
    sender: { member_id: "x-7", name: "Someone", org: "Unknown NGO" },
    sender_status: "unknown",
    files: [{ name: "3w.xlsx", size: 52_000 }],
    received_at: "2025-03-03T01:00:00Z",
    created_at: "2025-03-03T00:00:00Z",
    status: "opened",
    note: null,
    supersedes: null,
    superseded_by: null,
    keep_until: null,
  },
  {
    parcel_id: "p-expired",
    kind: "data",
    label: "public",
    sender: { member_id: "imo-2", name: "Ma Hnin", org: "Cluster IMO team" },
    sender_status: "verified",
    files: [{ name: "summary.pdf", size: 9_000 }],
    received_at: "2024-01-01T00:00:00Z",
    created_at: "2024-01-01T00:00:00Z",
    status: "expired",
    note: null,
    supersedes: null,
    superseded_by: null,
    keep_until: null,
  },
];

export const sentEntries: SentEntry[] = [
  {
    parcel_id: "s-1",
    kind: "data",
    label: "confidential",
    files: [{ name: "survey.xlsx", size: 40_000 }],
    created_at: "2025-03-01T08:00:00Z",
    status: "sent",
    supersedes: null,
    superseded_by: null,
    recipients: [
      {
        member_id: "imo-1",
        name: "Ko Min Thu",
        org: "Cluster IMO team",
        receipts: [
          { event: "delivered", at: "2025-03-01T09:00:00Z", detail: null },
          { event: "opened", at: "2025-03-01T10:00:00Z", detail: null },
        ],
      },
      { member_id: "imo-2", name: "Ma Hnin", org: "Cluster IMO team", receipts: [] },
    ],
    products: [],
  },
];

/**
 * A parcel sent to an IMO, who published an information product (a restricted PDF report)
 * made from it: the product came back to this partner and is listed under the parcel.
 */
export const sentWithProduct: SentEntry = {
  parcel_id: "s-2",
  kind: "data",
  label: "highly-confidential",
  files: [{ name: "distribution-feb.csv", size: 250_000 }],
  created_at: "2025-02-10T08:00:00Z",
  status: "sent",
  supersedes: null,
  superseded_by: null,
  recipients: [
    {
      member_id: "imo-1",
      name: "Ko Min Thu",
      org: "Cluster IMO team",
      receipts: [{ event: "opened", at: "2025-02-10T12:00:00Z", detail: null }],
    },
  ],
  products: [
    {
      parcel_id: "prod-1",
      publisher: { member_id: "imo-1", name: "Ko Min Thu", org: "Cluster IMO team" },
      label: "restricted",
      files: [{ name: "food-security-snapshot-feb.pdf", size: 1_800_000 }],
      received_at: "2025-03-02T06:30:00Z",
      note: "The interactive version: https://example.org/snapshot",
    },
  ],
};

export const outboxEntries: OutboxEntry[] = [
  {
    parcel_id: "o-1",
    kind: "data",
    about: null,
    size: 2_000_000,
    confirmed: 500_000,
    attempts: 2,
    last_error: "the relay could not be reached",
    queued_at: "2025-03-05T10:00:00Z",
    recipients: ["Ko Min Thu", "Ma Hnin"],
  },
];

export const idleStatus: SyncStatus = {
  running: false,
  online: true,
  last_pass_at: "2025-03-05T10:00:00Z",
  error: null,
  report: null,
  transfer: null,
};

/** A roster member as the Cluster and Settings screens receive it; change what a test needs. */
export function memberEntry(overrides: Partial<MemberEntry>): MemberEntry {
  return {
    member_id: "m-x",
    name: "Someone",
    org: "Some NGO",
    roles: ["partner"],
    status: "active",
    coordinator_key: false,
    fingerprint: "00000 00000 00000 00000",
    signing_key: "ed25519-x",
    age_recipient: "age1x",
    you: false,
    safety_number: "11111 22222 33333 44444 55555 66666 77777 88888 99999 00000 12121 34343",
    ...overrides,
  };
}

/**
 * A concern this partner reported, which an IMO acknowledged and then looked into, and one
 * received from another partner (this member handling it as coordinator or IMO), still open.
 */
export const concernEntries: ConcernEntry[] = [
  {
    parcel_id: "c-reported",
    direction: "reported",
    reporter: { member_id: "m-1", name: "Daw Aye Aye", org: "Shwe Partners" },
    note: "Our beneficiary list was shared outside the cluster.",
    label: "confidential",
    files: [{ name: "screenshot.png", size: 80_000 }],
    created_at: "2025-03-06T08:00:00Z",
    status: "investigating",
    updates: [
      { status: "acknowledged", at: "2025-03-06T09:00:00Z", by: "Ko Min Thu", note: null },
      { status: "investigating", at: "2025-03-07T10:00:00Z", by: "Ma Hnin", note: "ကျွန်ုပ်တို့ စစ်ဆေးနေပါသည်။" },
    ],
  },
  {
    parcel_id: "c-received",
    direction: "received",
    reporter: { member_id: "p-9", name: "U Zaw", org: "Yoma Relief" },
    note: "A distribution list was posted in a public group.",
    label: "highly-confidential",
    files: [],
    created_at: "2025-03-05T07:00:00Z",
    status: "open",
    updates: [],
  },
];

/** One rights request received to handle: a partner's access request, answered "in progress". */
export const rightsRequestEntries: RightsRequest[] = [
  {
    request_id: "r-1",
    right: "access",
    direction: "received",
    about: null,
    requester: { member_id: "m-aye", name: "Daw Aye Aye", org: "Shan Relief" },
    note: "Every copy you hold of our October list.",
    requested_at: "2026-11-01T08:00:00Z",
    due_at: "2026-12-01T08:00:00Z",
    open: true,
    overdue: true,
    status: "in-progress",
    handlers: [
      {
        person: { member_id: "m-imo", name: "U Ba Tun", org: "Shelter Cluster" },
        status: "in-progress",
        events: [
          { status: "received", at: "2026-11-01T09:00:00Z", note: null },
          { status: "in-progress", at: "2026-11-02T10:00:00Z", note: "Collecting the copies." },
        ],
      },
    ],
  },
];
