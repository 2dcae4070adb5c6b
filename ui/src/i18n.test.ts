import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SCREENS } from "./App";
import { LABELS, labelKey } from "./labels";
import { REASON_CODES } from "./reasons";
import { createI18n, LANGUAGE_STORAGE_KEY, storedLanguage, en, my } from "./i18n";

type Catalogue = { [key: string]: string | Catalogue };

/** Every key as a dotted path, with its value. Non-string leaves are an error. */
function flatten(catalogue: Catalogue, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalogue)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else if (value && typeof value === "object") for (const [k, v] of flatten(value, path)) out.set(k, v);
    else throw new Error(`${path} is neither text nor a group`);
  }
  return out;
}

const english = flatten(en as Catalogue);
const burmese = flatten(my as Catalogue);

/** Keys whose Burmese value may be in Latin script: the product name, and the language names
 *  (each language is named in its own script in the switch). */
const LATIN_ALLOWED = new Set(["app.name", "language.en"]);

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1]).sort();

describe("catalogues", () => {
  it("are not trivially small", () => {
    expect(english.size).toBeGreaterThan(50);
  });

  it("have the same keys in English and Burmese", () => {
    const missingInBurmese = [...english.keys()].filter((key) => !burmese.has(key));
    const missingInEnglish = [...burmese.keys()].filter((key) => !english.has(key));
    expect(missingInBurmese).toEqual([]);
    expect(missingInEnglish).toEqual([]);
  });

  it("have no empty values", () => {
    for (const [name, catalogue] of [["en", english], ["my", burmese]] as const) {
      const empty = [...catalogue].filter(([, value]) => value.trim() === "").map(([key]) => `${name}:${key}`);
      expect(empty).toEqual([]);
    }
  });

  it("use the same {{placeholders}} in both languages", () => {
    const mismatched = [...english]
      .filter(([key, value]) => burmese.has(key) && placeholders(value).join() !== placeholders(burmese.get(key)!).join())
      .map(([key]) => key);
    expect(mismatched).toEqual([]);
  });

  it("write Burmese in Myanmar script", () => {
    const notBurmese = [...burmese]
      .filter(([key, value]) => !LATIN_ALLOWED.has(key) && !/[\u1000-\u109F]/u.test(value))
      .map(([key]) => key);
    expect(notBurmese).toEqual([]);
  });

  it("write Burmese in Unicode, not Zawgyi", () => {
    // Zawgyi puts the vowel sign E (U+1031) before its consonant and uses U+1060–U+1097 for
    // glyph variants; in Unicode Burmese, U+1031 never starts a word and Burmese does not
    // use the code points reserved there for Mon, Shan and Karen.
    const suspicious = [...burmese]
      .filter(([, value]) => /(^|[\s(\-–])\u1031/u.test(value) || /[\u1050-\u1097]/u.test(value))
      .map(([key]) => key);
    expect(suspicious).toEqual([]);
  });

  it("keep only the allowed keys identical to English", () => {
    const untranslated = [...english]
      .filter(([key, value]) => burmese.get(key) === value && !LATIN_ALLOWED.has(key) && key !== "language.my")
      .map(([key]) => key);
    expect(untranslated).toEqual([]);
  });

  it("explain every reason code, label and screen", () => {
    const needed = [
      ...REASON_CODES.map((code) => `reason.${code}`),
      ...LABELS.flatMap((label) => [`label.${labelKey(label)}.name`, `label.${labelKey(label)}.description`]),
      ...SCREENS.map((screen) => `nav.${screen}`),
      ...SCREENS.filter((screen) => screen !== "send").map((screen) => `screens.${screen}.title`),
    ];
    expect(needed.filter((key) => !english.has(key))).toEqual([]);
    expect(needed.filter((key) => !burmese.has(key))).toEqual([]);
  });

  it("hold every literal key the source code asks for", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) files.push(path);
      }
    };
    walk(dirname(fileURLToPath(import.meta.url)));
    const used = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, "utf8").matchAll(/\bt\(\s*"([^"]+)"/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(20);
    // A key used with a count may exist only in its plural forms (`key_one`, `key_other`).
    const known = (key: string) => english.has(key) || (english.has(`${key}_one`) && english.has(`${key}_other`));
    expect([...used].filter((key) => !known(key))).toEqual([]);
  });
});

describe("language setting", () => {
  it("follows the stored choice and sets <html lang>", async () => {
    expect(storedLanguage()).toBe("en");
    localStorage.setItem(LANGUAGE_STORAGE_KEY, "my");
    expect(storedLanguage()).toBe("my");
    localStorage.setItem(LANGUAGE_STORAGE_KEY, "fr");
    expect(storedLanguage()).toBe("en");

    const i18n = createI18n("my");
    expect(document.documentElement.lang).toBe("my");
    expect(i18n.t("nav.send")).toBe(my.nav.send);
    await i18n.changeLanguage("en");
    expect(document.documentElement.lang).toBe("en");
    expect(i18n.t("nav.send")).toBe(en.nav.send);
  });
});
