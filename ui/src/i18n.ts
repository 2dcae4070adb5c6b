// Every string the user sees comes from the catalogues in src/locales/ through i18next.

import i18next, { type i18n as I18n } from "i18next";
import { initReactI18next } from "react-i18next";
import clusterEn from "./locales/cluster.en.json";
import clusterMy from "./locales/cluster.my.json";
import concernsEn from "./locales/concerns.en.json";
import concernsMy from "./locales/concerns.my.json";
import baseEn from "./locales/en.json";
import baseMy from "./locales/my.json";
import onboardingEn from "./locales/onboarding.en.json";
import onboardingMy from "./locales/onboarding.my.json";
import pseudonymiseEn from "./locales/pseudonymise.en.json";
import pseudonymiseMy from "./locales/pseudonymise.my.json";
import productsEn from "./locales/products.en.json";
import productsMy from "./locales/products.my.json";
import rightsEn from "./locales/rights.en.json";
import rightsMy from "./locales/rights.my.json";

export const LANGUAGES = ["en", "my"] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * One catalogue per language, from parts: `en.json` for the app's frame and the parcel screens,
 * `onboarding.*.json` for onboarding and settings, `cluster.*.json` for the cluster screen and
 * the parcel actions, `pseudonymise.*.json` for the send flow's pseudonymise step, `concerns.*.json` for the
 * concerns screen, `rights.*.json` for the rights requests screen, `products.*.json` for the
 * inbox's product publishing. A part owns its top-level groups; two parts defining the same group is a
 * mistake that would silently drop strings, so it throws.
 */
function catalogue<T extends object>(...parts: T[]): T {
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [group, strings] of Object.entries(part)) {
      if (group in merged) throw new Error(`the catalogue group "${group}" is defined twice`);
      merged[group] = strings;
    }
  }
  return merged as T;
}

export const en = catalogue<Record<string, unknown>>(
  baseEn,
  onboardingEn,
  clusterEn,
  pseudonymiseEn,
  concernsEn,
  rightsEn,
  productsEn,
) as typeof baseEn &
  typeof onboardingEn &
  typeof clusterEn &
  typeof pseudonymiseEn &
  typeof concernsEn &
  typeof rightsEn &
  typeof productsEn;
export const my = catalogue<Record<string, unknown>>(
  baseMy,
  onboardingMy,
  clusterMy,
  pseudonymiseMy,
  concernsMy,
  rightsMy,
  productsMy,
) as typeof baseMy &
  typeof onboardingMy &
  typeof clusterMy &
  typeof pseudonymiseMy &
  typeof concernsMy &
  typeof rightsMy &
  typeof productsMy;

export const resources = {
  en: { translation: en },
  my: { translation: my },
} as const;

/** Where the chosen language is kept between runs. */
export const LANGUAGE_STORAGE_KEY = "sealpost.language";

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/** The language chosen last time, or English. */
export function storedLanguage(): Language {
  try {
    const value = globalThis.localStorage?.getItem(LANGUAGE_STORAGE_KEY);
    return isLanguage(value) ? value : "en";
  } catch {
    return "en";
  }
}

/** Keeps the choice for next time; a storage failure only loses the preference. */
export function storeLanguage(language: Language): void {
  try {
    globalThis.localStorage?.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Private mode or storage full: the app still works in the chosen language this time.
  }
}

export interface I18nOptions {
  /** Called with each key that a catalogue lacks (tests collect them). */
  onMissingKey?: (language: string, key: string) => void;
  /** Fall back to English for a key Burmese lacks (default true; tests turn it off). */
  fallbackToEnglish?: boolean;
}

/**
 * A new i18next instance in `language`. It keeps `<html lang>` in step with the language, so
 * screen readers pronounce Burmese as Burmese and `:lang(my)` styles apply.
 */
export function createI18n(language: Language, options: I18nOptions = {}): I18n {
  const instance = i18next.createInstance();
  const onMissingKey = options.onMissingKey;
  void instance.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: options.fallbackToEnglish === false ? false : "en",
    supportedLngs: [...LANGUAGES],
    interpolation: { escapeValue: false }, // React escapes.
    returnNull: false,
    initAsync: false,
    saveMissing: onMissingKey !== undefined,
    missingKeyHandler: onMissingKey
      ? (languages, _namespace, key) => {
          for (const language of languages) onMissingKey(language, key);
        }
      : false,
  });
  const syncHtmlLang = (lng: string) => {
    if (typeof document !== "undefined") document.documentElement.lang = lng;
  };
  syncHtmlLang(instance.language);
  instance.on("languageChanged", syncHtmlLang);
  return instance;
}
