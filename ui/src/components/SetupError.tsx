import { useTranslation } from "react-i18next";
import type { ApiError } from "../api";
import { ErrorDetails, ErrorNotice } from "./ErrorNotice";

/**
 * Codes of the onboarding and settings commands (joining, reading a QR picture, restoring and
 * saving a backup) that `errors.*` does not explain: said here with a sentence from
 * `onboarding.errors.*`. Every other code goes to ErrorNotice as on the other screens.
 */
export const SETUP_CODES = new Set([
  "invalid-invite",
  "invite-expired",
  "already-in-cluster",
  "no-qr-code",
  "not-an-image",
  "image-too-large",
  "not-an-identity",
  "invalid-identity",
  "damaged-file",
  "already-initialised",
  "passphrase-too-short",
  "output-exists",
]);

export interface SetupErrorProps {
  error: ApiError;
  /** The wrapper's id, for a field's `aria-describedby`. */
  id?: string;
  /** A sentence that fits the context better than the code's own (e.g. a relay address refused). */
  text?: string;
}

/** An error from an onboarding or settings command, said by its code; Rust's message as details. */
export function SetupError({ error, id, text }: SetupErrorProps) {
  const { t } = useTranslation();
  const sentence = text ?? (SETUP_CODES.has(error.code) ? t(`onboarding.errors.${error.code}`) : null);
  if (sentence === null) {
    return (
      <div id={id} className="setup-error" data-code={error.code}>
        <ErrorNotice error={error} />
      </div>
    );
  }
  return (
    <div id={id} className="setup-error" data-code={error.code}>
      <div className="notice notice-error" role="alert">
        <p className="notice-title">{t("errors.title")}</p>
        <p>{sentence}</p>
        <ErrorDetails message={error.message} />
      </div>
    </div>
  );
}
