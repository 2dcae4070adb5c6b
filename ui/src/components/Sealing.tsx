import { useTranslation } from "react-i18next";
import type { ApiError } from "../api";
import type { Queued } from "../bindings/Queued";
import { formatList } from "../format";
import { ErrorNotice } from "./ErrorNotice";

export interface SealingProps {
  /**
   * The catalogue group whose `sending`, `done` (with `{{recipients}}`) and `done_all` say it,
   * e.g. `concerns.report` or `rights.answer`.
   */
  strings: "concerns.report" | "concerns.update" | "rights.access" | "rights.answer";
  testId: string;
  busy: boolean;
  done: Queued | null;
  failed: ApiError | null;
}

/**
 * What became of something a form sealed without files to choose or a label to agree (a
 * concern, its update, a rights request, its answer): sealing, then sealed for whom (in the
 * outbox until the next sync), or why not.
 */
export function Sealing({ strings, testId, busy, done, failed }: SealingProps) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <div role="status">
        {busy && <p>{t(`${strings}.sending`)}</p>}
        {done !== null && (
          <p className="notice notice-success" data-testid={testId}>
            {done.recipients.length > 0
              ? t(`${strings}.done`, { recipients: formatList(done.recipients, i18n.language) })
              : t(`${strings}.done_all`)}
          </p>
        )}
      </div>
      {failed && <ErrorNotice error={failed} />}
    </>
  );
}
