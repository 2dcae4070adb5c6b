/** A count in the reader's language (Burmese gets Myanmar digits where the webview has them). */
export function formatNumber(value: number, language: string): string {
  try {
    return new Intl.NumberFormat(language).format(value);
  } catch {
    return String(value);
  }
}
