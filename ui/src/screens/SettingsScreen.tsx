import { useTranslation } from "react-i18next";
import type { Api } from "../api";
import type { Session } from "../bindings/Session";

export interface SettingsScreenProps {
  api: Api;
  session: Session;
  /** The session changed (e.g. the relay address): the app shows the new one. */
  onSession: (session: Session) => void;
}

/** Settings: relay address, keys and fingerprint, backup, language. */
export function SettingsScreen(_props: SettingsScreenProps) {
  const { t } = useTranslation();
  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">{t("screens.settings.title")}</h1>
    </section>
  );
}
