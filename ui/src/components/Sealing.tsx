import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type ApiError } from "../api";
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

/**
 * The state behind a {@link Sealing} block: busy while the shell seals, then what it sealed or
 * why not. `seal` runs one sealing and says whether it worked; `clear` forgets the last outcome
 * (before a check of the form that may stop it); `setFailed` reports a failure from elsewhere
 * (choosing files).
 */
export function useSealing() {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Queued | null>(null);
  const [failed, setFailed] = useState<ApiError | null>(null);

  function clear() {
    setDone(null);
    setFailed(null);
  }

  async function seal(work: () => Promise<Queued>): Promise<boolean> {
    clear();
    setBusy(true);
    try {
      setDone(await work());
      return true;
    } catch (caught) {
      setFailed(toApiError(caught));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return { busy, done, failed, setFailed, clear, seal };
}

/**
 * A note a form may not be sent without (a concern, an access request, the reason for a
 * decline). `take(required)` gives it trimmed; when it is required and blank it marks it
 * `blank`, puts the cursor in it and gives null. `edit` keeps the mark until something is
 * typed; `forgive` drops it (the note stopped being required).
 */
export function useRequiredNote() {
  const [note, setNote] = useState("");
  const [blank, setBlank] = useState(false);
  const noteRef = useRef<HTMLTextAreaElement>(null);

  function take(required = true): string | null {
    const text = note.trim();
    if (required && text === "") {
      setBlank(true);
      noteRef.current?.focus();
      return null;
    }
    setBlank(false);
    return text;
  }

  function edit(value: string) {
    setNote(value);
    if (value.trim() !== "") setBlank(false);
  }

  return { note, setNote, blank, noteRef, take, edit, forgive: () => setBlank(false) };
}
