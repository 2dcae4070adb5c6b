import { useTranslation } from "react-i18next";
import { ApiError } from "../api";

/** Codes with their own sentence in the catalogues; others get the generic one with the code. */
const KNOWN_CODES = new Set(["ipc-unavailable", "not-available", "unexpected"]);

/** An error from the shell, said by its code; Rust's English message only as details. */
export function ErrorNotice({ error }: { error: ApiError }) {
  const { t } = useTranslation();
  const text = KNOWN_CODES.has(error.code)
    ? t(`errors.${error.code}`)
    : t("errors.generic", { code: error.code });
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{t("errors.title")}</p>
      <p>{text}</p>
      {error.message && (
        <details>
          <summary>{t("errors.details")}</summary>
          <p lang="en">{error.message}</p>
        </details>
      )}
    </div>
  );
}
