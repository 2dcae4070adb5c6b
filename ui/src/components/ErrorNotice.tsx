import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api";

/**
 * Codes with their own sentence in the catalogues (`errors.<code>`): the ones a person can act
 * on. Others get the generic sentence with the code, and Rust's message under "Details".
 * The codes are those of `code()` in crates/core (keystore, passphrase, membership, relay,
 * parcel SealError and OpenError, mailroom) and src-tauri's own.
 */
export const KNOWN_CODES = new Set([
  "ipc-unavailable",
  "not-available",
  "unexpected",
  "locked",
  "wrong-passphrase",
  "passphrase-required",
  "passphrase-empty",
  "keyring-unavailable",
  "keyring-read-failed",
  "label-below-suggestion",
  "file-changed",
  "read-failed",
  "not-a-file",
  "duplicate-file-name",
  "invalid-note",
  "no-recipients",
  "no-roster",
  "roster-expired",
  "no-such-member",
  "member-removed",
  "not-deliverable",
  "no-relay",
  "relay-unreachable",
  "sync-running",
  "no-such-parcel",
  "not-for-you",
  "not-a-recipient",
  "bad-signature",
  "sender-removed",
  "sender-key-mismatch",
  "truncated",
  "damaged",
  "would-overwrite",
  "io",
]);

/** What an error code means, in the reader's language. */
export function errorText(t: TFunction, code: string): string {
  return KNOWN_CODES.has(code) ? t(`errors.${code}`) : t("errors.generic", { code });
}

/** An error from the shell, said by its code; Rust's English message only as details. */
export function ErrorNotice({ error }: { error: ApiError }) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{t("errors.title")}</p>
      <p>{errorText(t, error.code)}</p>
      <ErrorDetails message={error.message} />
    </div>
  );
}

/** Rust's own message (English), folded away: for support, not the first thing to read. */
export function ErrorDetails({ message }: { message: string }) {
  const { t } = useTranslation();
  if (!message) return null;
  return (
    <details>
      <summary>{t("errors.details")}</summary>
      <p lang="en">{message}</p>
    </details>
  );
}
