import { describe, expect, it } from "vitest";
import type { Label } from "./bindings/Label";
import {
  LABELS,
  MAX_REASON_CHARS,
  MIN_REASON_CHARS,
  decide,
  isLower,
  labelKey,
  needsReason,
  normalizeReason,
  rank,
  reasonProblem,
} from "./labels";

describe("label order", () => {
  it("lists the four labels least sensitive first", () => {
    expect(LABELS).toEqual(["public", "restricted", "confidential", "highly-confidential"]);
  });

  it("ranks each label strictly above the one before it", () => {
    const ranks = LABELS.map(rank);
    expect(ranks).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < LABELS.length; i++) {
      expect(isLower(LABELS[i - 1]!, LABELS[i]!)).toBe(true);
      expect(isLower(LABELS[i]!, LABELS[i - 1]!)).toBe(false);
    }
  });
});

describe("needsReason", () => {
  const pairs: [Label, Label][] = LABELS.flatMap((chosen) =>
    LABELS.map((suggested) => [chosen, suggested] as [Label, Label]),
  );

  it.each(pairs)("chosen %s, suggested %s", (chosen, suggested) => {
    // Same rule as LabelOverride::for_choice: `chosen >= suggested` needs nothing.
    const expected = LABELS.indexOf(chosen) < LABELS.indexOf(suggested);
    expect(needsReason(chosen, suggested)).toBe(expected);
  });

  it("asks for a reason when lowering", () => {
    expect(needsReason("public", "highly-confidential")).toBe(true);
    expect(needsReason("confidential", "highly-confidential")).toBe(true);
    expect(needsReason("restricted", "confidential")).toBe(true);
  });

  it("lets raising and keeping the suggestion go free", () => {
    expect(needsReason("highly-confidential", "public")).toBe(false);
    expect(needsReason("confidential", "restricted")).toBe(false);
    for (const label of LABELS) expect(needsReason(label, label)).toBe(false);
  });
});

describe("reasons for a lower label", () => {
  it("refuses blank and whitespace-only reasons", () => {
    expect(reasonProblem("")).toBe("empty");
    expect(reasonProblem("   \n\t ")).toBe("empty");
  });

  it("refuses reasons shorter than the minimum after trimming", () => {
    const short = "x".repeat(MIN_REASON_CHARS - 1);
    expect(reasonProblem(`   ${short}   `)).toBe("too_short");
    expect(reasonProblem("x".repeat(MIN_REASON_CHARS))).toBeNull();
  });

  it("counts Burmese by code points, as Rust counts chars", () => {
    // ဒေတာ is 4 code points (ဒ ေ တ ာ), below the minimum of 5; one more character passes.
    expect([..."ဒေတာ"].length).toBe(4);
    expect(reasonProblem("ဒေတာ")).toBe("too_short");
    expect(reasonProblem("ဒေတာမ")).toBeNull();
  });

  it("refuses reasons over the Rust limit", () => {
    expect(reasonProblem("a".repeat(MAX_REASON_CHARS))).toBeNull();
    expect(reasonProblem("a".repeat(MAX_REASON_CHARS + 1))).toBe("too_long");
  });

  it("turns line breaks into spaces and refuses other control characters", () => {
    expect(normalizeReason("  aggregated\r\n  for the\tIMO only  ")).toBe("aggregated for the IMO only");
    expect(reasonProblem("aggregated\nlater")).toBeNull();
    expect(reasonProblem("aggre\u0000gated")).toBe("control");
    expect(reasonProblem("aggre\u0085gated")).toBe("control");
  });
});

describe("decide", () => {
  it("hands on a lower label only with an acceptable reason, trimmed", () => {
    expect(decide("public", "confidential", "")).toEqual({ ok: false, problem: "empty" });
    expect(decide("public", "confidential", "ok")).toEqual({ ok: false, problem: "too_short" });
    expect(decide("public", "confidential", "  names were removed  ")).toEqual({
      ok: true,
      choice: { label: "public", overrideReason: "names were removed" },
    });
  });

  it("drops a reason typed for a label that is not lower", () => {
    expect(decide("highly-confidential", "confidential", "whatever")).toEqual({
      ok: true,
      choice: { label: "highly-confidential", overrideReason: null },
    });
    expect(decide("confidential", "confidential", "")).toEqual({
      ok: true,
      choice: { label: "confidential", overrideReason: null },
    });
  });
});

describe("labelKey", () => {
  it("makes catalogue-friendly keys", () => {
    expect(LABELS.map(labelKey)).toEqual(["public", "restricted", "confidential", "highly_confidential"]);
  });
});
