import type { ReasonCode } from "./bindings/ReasonCode";

/**
 * Every reason code, in the order of `ReasonCode::ALL` in crates/scan/src/report.rs. Used to
 * check that the catalogues explain each one; the two assertions below stop the build if this
 * list and the generated `ReasonCode` type drift apart.
 */
export const REASON_CODES = [
  "person_name",
  "phone",
  "nrc",
  "email",
  "beneficiary_list",
  "household",
  "vulnerable_individual",
  "aid_worker_contacts",
  "raw_survey",
  "below_township",
  "admin4_location",
  "gps",
  "partner_presence_admin4",
  "org_names_township",
  "aggregate_only",
  "pcode_reference",
  "could_not_scan",
] as const satisfies readonly ReasonCode[];

type Missing = Exclude<ReasonCode, (typeof REASON_CODES)[number]>;
// If this line fails to compile, a ReasonCode is missing from REASON_CODES.
export const reasonCodesComplete: [Missing] extends [never] ? true : Missing = true;
