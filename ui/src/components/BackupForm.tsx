import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import { formatNumber } from "../format";
import "../screens/onboarding.css";
import { MIN_PASSPHRASE_CHARS, NewPassphraseFields, useNewPassphrase } from "./NewPassphrase";
import { SetupError } from "./SetupError";

type Outcome = { state: "idle" } | { state: "saving" } | { state: "cancelled" } | { state: "done"; path: string };

export interface BackupFormProps {
  api: Pick<Api, "exportBackup">;
}

/**
 * Saves a passphrase-protected backup of the identity where the person chooses (the shell's
 * save dialog). The passphrase is checked here first (typed twice, long enough), so a typo
 * never locks the only backup. Used by onboarding (a new identity is backed up first) and
 * Settings. The caller gives the heading.
 */
export function BackupForm({ api }: BackupFormProps) {
  const { t, i18n } = useTranslation();
  const entry = useNewPassphrase();
  const [outcome, setOutcome] = useState<Outcome>({ state: "idle" });
  const [error, setError] = useState<ApiError | null>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  const againRef = useRef<HTMLInputElement>(null);
  const saving = outcome.state === "saving";

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (saving) return;
    setError(null);
    const found = entry.check();
    if (found !== null) {
      setOutcome({ state: "idle" });
      // After React has rendered the problem, so a screen reader hears it with the field.
      setTimeout(() => (found === "mismatch" ? againRef : firstRef).current?.focus(), 0);
      return;
    }
    setOutcome({ state: "saving" });
    try {
      const path = await api.exportBackup(entry.passphrase);
      if (path === null) {
        setOutcome({ state: "cancelled" });
      } else {
        entry.clear();
        setOutcome({ state: "done", path });
      }
    } catch (caught) {
      setOutcome({ state: "idle" });
      setError(toApiError(caught));
    }
  }

  return (
    <form className="backup-form setup-form" onSubmit={(event) => void submit(event)} noValidate>
      <p>{t("onboarding.backup.intro")}</p>
      <NewPassphraseFields
        id="backup-passphrase"
        againId="backup-passphrase-again"
        {...entry.fields}
        hint={t("onboarding.backup.hint", { min: formatNumber(MIN_PASSPHRASE_CHARS, i18n.language) })}
        readOnly={saving}
        firstRef={firstRef}
        againRef={againRef}
      />
      {error && <SetupError error={error} />}
      <div className="actions">
        <button type="submit" id="export-backup" disabled={saving}>
          {t("onboarding.backup.button")}
        </button>
      </div>
      <div role="status" className="backup-status">
        {saving && <p>{t("onboarding.backup.busy")}</p>}
        {outcome.state === "cancelled" && (
          <p className="note" data-testid="backup-cancelled">
            {t("onboarding.backup.cancelled")}
          </p>
        )}
        {outcome.state === "done" && (
          <div className="notice notice-success" data-testid="backup-done">
            <p className="notice-title">{t("onboarding.backup.done_title")}</p>
            <p>{t("onboarding.backup.done_path")}</p>
            <p>
              <code className="path" data-testid="backup-path">
                {outcome.path}
              </code>
            </p>
            <p>{t("onboarding.backup.done_advice")}</p>
          </div>
        )}
      </div>
    </form>
  );
}
