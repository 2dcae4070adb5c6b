/** A count in the reader's language (Burmese gets Myanmar digits where the webview has them). */
export function formatNumber(value: number, language: string): string {
  try {
    return new Intl.NumberFormat(language).format(value);
  } catch {
    return String(value);
  }
}

const SIZE_UNITS = [
  ["byte", 1],
  ["kilobyte", 1000],
  ["megabyte", 1000 ** 2],
  ["gigabyte", 1000 ** 3],
  ["terabyte", 1000 ** 4],
] as const;

/**
 * A size in bytes as people read it (`1.2 MB`), in decimal units as file managers on Windows
 * and macOS count them, with the reader's digits; the unit name comes from the platform's own
 * locale data.
 */
export function formatSize(bytes: number, language: string): string {
  let [unit, scale]: readonly [string, number] = SIZE_UNITS[0];
  for (const candidate of SIZE_UNITS) if (bytes >= candidate[1]) [unit, scale] = candidate;
  const value = bytes / scale;
  try {
    return new Intl.NumberFormat(language, {
      style: "unit",
      unit,
      unitDisplay: "short",
      maximumFractionDigits: scale === 1 || value >= 100 ? 0 : 1,
    }).format(value);
  } catch {
    return `${bytes} B`;
  }
}

/**
 * A time from Rust (RFC 3339, UTC) in the reader's language and time zone. Text that is not a
 * time is shown as it came rather than as "Invalid Date".
 */
export function formatDateTime(text: string, language: string): string {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  try {
    return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(date);
  } catch {
    return text;
  }
}

/** Whole percent of `part` in `whole` (0 when there is nothing to count). */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.floor((part / whole) * 100));
}

/** Names joined as the reader's language joins a list ("A, B and C"). */
export function formatList(items: readonly string[], language: string): string {
  try {
    return new Intl.ListFormat(language, { style: "long", type: "conjunction" }).format(items);
  } catch {
    return items.join(", ");
  }
}
