import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { Session } from "../bindings/Session";
import { ErrorNotice } from "../components/ErrorNotice";

export interface UnlockScreenProps {
  api: Pick<Api, "unlock">;
  session: Session;
  onUnlocked: (session: Session) => void;
}

/** Errors about the passphrase itself: said next to the field, which keeps the focus. */
const PASSPHRASE_CODES = new Set(["wrong-passphrase", "passphrase-empty", "passphrase-required"]);

/**
 * The identity is on this computer but locked. With the OS keyring, one button unlocks it (the
 * keyring may ask the person itself); with a passphrase file, the passphrase is asked here. A
 * wrong passphrase is said next to the field, and the field keeps the focus with the text
 * selected, so the person can simply type it again.
 */
export function UnlockScreen({ api, session, onUnlocked }: UnlockScreenProps) {
  const { t } = useTranslation();
  // The shell may say a passphrase is needed after all (`passphrase-required`).
  const [needsPassphrase, setNeedsPassphrase] = useState(session.needs_passphrase);
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const fieldRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (needsPassphrase) fieldRef.current?.focus();
  }, [needsPassphrase]);

  function backToField() {
    // After React has rendered the message, so a screen reader hears it with the field.
    setTimeout(() => {
      fieldRef.current?.focus();
      fieldRef.current?.select();
    }, 0);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setProblem(null);
    if (needsPassphrase && passphrase === "") {
      setProblem("passphrase-empty");
      backToField();
      return;
    }
    setBusy(true);
    try {
      const next = await api.unlock(needsPassphrase ? passphrase : null);
      setBusy(false);
      if (next.unlocked) {
        setPassphrase("");
        onUnlocked(next);
      } else {
        setError(toApiError({ code: "unexpected", message: "The identity is still locked." }));
      }
    } catch (caught) {
      setBusy(false);
      const failure = toApiError(caught);
      if (PASSPHRASE_CODES.has(failure.code)) {
        if (failure.code === "passphrase-required") setNeedsPassphrase(true);
        setProblem(failure.code);
        backToField();
      } else {
        setError(failure);
      }
    }
  }

  const name = session.card?.name ?? "";
  return (
    <section className="screen unlock" aria-labelledby="unlock-title">
      <h1 id="unlock-title">{t("unlock.title")}</h1>
      <p>{t("unlock.intro", { name })}</p>
      {error && <ErrorNotice error={error} />}
      <form className="unlock-form" onSubmit={(event) => void submit(event)} noValidate>
        {needsPassphrase ? (
          <div className="field">
            <label htmlFor="passphrase">{t("unlock.passphrase_label")}</label>
            <input
              ref={fieldRef}
              id="passphrase"
              type="password"
              autoComplete="current-password"
              value={passphrase}
              readOnly={busy}
              aria-invalid={problem !== null}
              aria-describedby={problem !== null ? "passphrase-problem" : "passphrase-hint"}
              onChange={(event) => {
                setPassphrase(event.target.value);
                setProblem(null);
              }}
            />
            {problem !== null ? (
              <p id="passphrase-problem" className="problem" role="alert">
                {t(`errors.${problem}`)}
              </p>
            ) : (
              <p id="passphrase-hint" className="hint">
                {t("unlock.passphrase_hint")}
              </p>
            )}
          </div>
        ) : (
          <p className="note">{t("unlock.keyring")}</p>
        )}
        <div className="actions">
          <button type="submit" id="unlock" disabled={busy}>
            {busy ? t("unlock.busy") : t("unlock.button")}
          </button>
        </div>
      </form>
    </section>
  );
}
