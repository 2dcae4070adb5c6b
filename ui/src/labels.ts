// The label rule, mirrored for the form only.
//
// The authoritative check is in Rust: `Review::decide` in crates/core/src/review.rs (which
// calls `LabelOverride::for_choice` and `LabelOverride::check` in
// crates/core/src/parcel/manifest.rs). The shell runs it again when the parcel is sealed and
// refuses a lower label without a reason (`label-below-suggestion`) whatever this module says.
// This module only lets the form tell the sender, before they press Next, what Rust will ask.

import type { Label } from "./bindings/Label";
import { MAX_REASON_CHARS, MIN_REASON_CHARS } from "./bindings/limits";

/** Every label, least sensitive first (the order of `Label::ALL` in crates/format/src/label.rs). */
export const LABELS = [
  "public",
  "restricted",
  "confidential",
  "highly-confidential",
] as const satisfies readonly Label[];

// Fails to compile if ts-rs ever adds a label that LABELS does not list.
const RANKS: Record<Label, number> = {
  public: 0,
  restricted: 1,
  confidential: 2,
  "highly-confidential": 3,
};

/** The label's place in the order: public 0 … highly-confidential 3. */
export function rank(label: Label): number {
  return RANKS[label];
}

/** Whether `chosen` is less sensitive than `suggested`. */
export function isLower(chosen: Label, suggested: Label): boolean {
  return rank(chosen) < rank(suggested);
}

/** Whether choosing `chosen` over the scan's `suggested` label needs a recorded reason. */
export function needsReason(chosen: Label, suggested: Label): boolean {
  return isLower(chosen, suggested);
}

// The shortest and longest reason the form accepts, in Unicode code points after trimming:
// generated from core's constants, which core checks again when the parcel is sealed.
export { MAX_REASON_CHARS, MIN_REASON_CHARS };

export type ReasonProblem = "empty" | "too_short" | "too_long" | "control";

/**
 * The reason as it will be sent: line breaks and runs of white space become one space (Rust
 * refuses control characters, and a textarea invites Enter), and the ends are trimmed.
 */
export function normalizeReason(text: string): string {
  return text.replace(/\s+/gu, " ").trim();
}

// Unicode general category Cc, which is what Rust's `char::is_control` tests.
const CONTROL = /\p{Cc}/u;

/** What is wrong with a reason typed for a lower label, or null when it is acceptable. */
export function reasonProblem(text: string): ReasonProblem | null {
  const reason = normalizeReason(text);
  const length = [...reason].length;
  if (length === 0) return "empty";
  if (CONTROL.test(reason)) return "control";
  if (length < MIN_REASON_CHARS) return "too_short";
  if (length > MAX_REASON_CHARS) return "too_long";
  return null;
}

/** What the label step hands on: the label, and the reason when it is below the suggestion. */
export interface LabelChoice {
  label: Label;
  overrideReason: string | null;
}

/**
 * The form's decision: the choice to hand on, or why it cannot be made yet. A reason typed for
 * a label that is not lower is dropped (Rust ignores it too).
 */
export function decide(
  chosen: Label,
  suggested: Label,
  reasonText: string,
): { ok: true; choice: LabelChoice } | { ok: false; problem: ReasonProblem } {
  if (!needsReason(chosen, suggested)) {
    return { ok: true, choice: { label: chosen, overrideReason: null } };
  }
  const problem = reasonProblem(reasonText);
  if (problem !== null) return { ok: false, problem };
  return { ok: true, choice: { label: chosen, overrideReason: normalizeReason(reasonText) } };
}

/** The catalogue key segment of a label: `highly-confidential` → `highly_confidential`. */
export function labelKey(label: Label): string {
  return label.replace(/-/g, "_");
}
