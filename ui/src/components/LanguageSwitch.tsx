import { useTranslation } from "react-i18next";
import { LANGUAGES, storeLanguage, type Language } from "../i18n";

export interface LanguageSwitchProps {
  /** Ids for the buttons: `${idPrefix}-en`, `${idPrefix}-my` (none when absent). */
  idPrefix?: string;
  /** The element naming the group; without it the group is named "Language". */
  labelledBy?: string;
  /** The element describing the group. */
  describedBy?: string;
}

/**
 * English / မြန်မာ, each written in its own script: changes the language at once (i18next keeps
 * `<html lang>` in step) and keeps the choice for the next start. The header has one, and the
 * Settings screen another: one component, so both always behave alike.
 */
export function LanguageSwitch({ idPrefix, labelledBy, describedBy }: LanguageSwitchProps) {
  const { t, i18n } = useTranslation();
  const current = i18n.resolvedLanguage ?? i18n.language;
  const choose = (language: Language) => {
    storeLanguage(language);
    void i18n.changeLanguage(language);
  };
  return (
    <div
      className="language-switch"
      role="group"
      aria-label={labelledBy === undefined ? t("header.language") : undefined}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
    >
      {LANGUAGES.map((language) => (
        <button
          key={language}
          type="button"
          id={idPrefix === undefined ? undefined : `${idPrefix}-${language}`}
          lang={language}
          aria-pressed={current === language}
          onClick={() => choose(language)}
        >
          {t(`language.${language}`)}
        </button>
      ))}
    </div>
  );
}
