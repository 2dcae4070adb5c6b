import type { ColumnReport } from "../bindings/ColumnReport";
import type { PseudonymPlan } from "../bindings/PseudonymPlan";
import type { PseudonymisedCopy } from "../bindings/PseudonymisedCopy";
import type { Review } from "../bindings/Review";
import type { ScanReport } from "../bindings/ScanReport";
import { highlyConfidentialReview } from "./fixtures";

export const ORIGINAL = "/home/aye/beneficiaries.csv";
export const COPY = "/home/aye/.local/share/sealpost/pseudonymised/beneficiaries-pseudonymised.csv";

/** The original's scan (the fixture's beneficiary list). */
export const originalReport: ScanReport = highlyConfidentialReview.reports[0]!;

/** A review of the beneficiary list alone. */
export const listReview: Review = { suggested: "highly-confidential", reports: [originalReport] };

/** What `suggest_pseudonymisation` suggests for the beneficiary list. */
export const suggestedPlan: PseudonymPlan = {
  pseudonymise: ["Name", "ဖုန်းနံပါတ်"],
  drop: ["Latitude", "Longitude"],
  mask: ["NRC"],
  admin_level: 3,
  quasi_identifiers: ["Sex", "Latitude"],
};

/** The copy's scan: household rows remain, so it is still confidential. */
export const copyScan: ScanReport = {
  file: "beneficiaries-pseudonymised.csv",
  suggested_label: "confidential",
  scanned: true,
  reasons: [{ code: "household", label: "confidential", message: "It has one row per household or person." }],
  sheets: [
    {
      name: "beneficiaries-pseudonymised.csv",
      rows: 1023,
      label: "confidential",
      findings: [{ code: "household", column: null, count: 1023, examples: [] }],
    },
  ],
  warnings: [],
};

// Rust leaves `admin_level` out of the JSON when there is none (`skip_serializing_if`).
const withoutLevel = (column: Omit<ColumnReport, "admin_level">) => column as ColumnReport;

export const copy: PseudonymisedCopy = {
  path: COPY,
  report: {
    input: ORIGINAL,
    output: COPY,
    format: "csv",
    output_format: "csv",
    delimiter: ",",
    key_id: "psk-3f2a91bc",
    rows: 1023,
    sheets: [
      {
        name: "beneficiaries.csv",
        rows: 1023,
        columns: [
          withoutLevel({ column: "Name", action: "pseudonymised", changed: 1020, left_alone: 0 }),
          withoutLevel({ column: "ဖုန်းနံပါတ်", action: "pseudonymised", changed: 1023, left_alone: 0 }),
          withoutLevel({ column: "NRC", action: "masked", changed: 998, left_alone: 25 }),
          withoutLevel({ column: "Latitude", action: "dropped", changed: 1023, left_alone: 0 }),
          withoutLevel({ column: "Longitude", action: "dropped", changed: 1023, left_alone: 0 }),
          { column: "Village Tract Pcode", action: "generalised", admin_level: 3, changed: 1011, left_alone: 12 },
        ],
        k_anonymity: {
          columns: ["Sex", "Village Tract Pcode"],
          k: 3,
          groups: 41,
          smallest_group: 1,
          groups_below_k: 6,
          rows_below_k: 9,
        },
      },
    ],
    warnings: [
      "k-anonymity: 9 row(s) in 6 combination(s) of Sex, Village Tract Pcode are shared by fewer than 3 rows.",
    ],
    label_before: "highly-confidential",
    scan: copyScan,
  },
};
