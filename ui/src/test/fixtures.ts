import type { Review } from "../bindings/Review";

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
