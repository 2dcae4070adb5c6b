import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { I18nextProvider } from "react-i18next";
import { createI18n, type Language, en } from "../i18n";

/**
 * Renders inside a fresh i18next instance with no fallback to English, so a key missing from
 * the language under test shows up (as the raw key, and in `missing`).
 */
export function renderIn(language: Language, ui: ReactElement) {
  const missing: string[] = [];
  const i18n = createI18n(language, {
    fallbackToEnglish: false,
    onMissingKey: (lng, key) => missing.push(`${lng}:${key}`),
  });
  const result = render(<I18nextProvider i18n={i18n}>{ui}</I18nextProvider>);
  return { ...result, i18n, missing };
}

/** Text shaped like a catalogue key (`send.review.title`)... */
const KEY_SHAPE = /^[a-z]+(\.[a-z0-9_-]+)+$/;
const NAMESPACES = new Set(Object.keys(en));

/**
 * ...whose first part is one of the catalogue's top-level groups: an untranslated key. (A file
 * name such as `beneficiaries.csv` has the shape but is data, not a key.)
 */
export function isRawKey(text: string): boolean {
  return KEY_SHAPE.test(text) && NAMESPACES.has(text.split(".")[0]!);
}

/** Every text node and accessible-name attribute under `root`, trimmed and non-empty. */
export function visibleTexts(root: HTMLElement): string[] {
  const texts: string[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent?.trim();
    if (text) texts.push(text);
  }
  for (const element of root.querySelectorAll("[aria-label], [title], [placeholder]")) {
    for (const attribute of ["aria-label", "title", "placeholder"]) {
      const value = element.getAttribute(attribute)?.trim();
      if (value) texts.push(value);
    }
  }
  return texts;
}

/** `{{name}}`-style placeholders filled in, as i18next does. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => values[key] ?? "");
}
