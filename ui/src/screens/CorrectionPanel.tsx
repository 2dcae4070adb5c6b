import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { Queued } from "../bindings/Queued";
import type { SentEntry } from "../bindings/SentEntry";
import { ErrorNotice } from "../components/ErrorNotice";
import { LabelChip } from "../components/LabelChip";
import { LabelChooser } from "../components/LabelChooser";
import { NoteField } from "../components/NoteField";
import { ScanResults } from "../components/ScanResults";
import { useLabelReview } from "../labelReview";
import "./cluster.css";

/** The code the shell rejects a label below the scan's suggestion with (as on the Send screen). */
export const LABEL_BELOW_SUGGESTION = "label-below-suggestion";

export interface CorrectionPanelProps {
  api: Pick<Api, "scanFiles" | "correctParcel">;
  /** The parcel being corrected. */
  entry: SentEntry;
  /** The replacement files, already picked. */
  files: string[];
  onDone: (queued: Queued) => void;
  onCancel: () => void;
}

/** The last part of a path, whichever separator the platform uses. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/**
 * Corrected files for a parcel this member sent: they go to the same recipients with the same
 * label. The shell scans them again; when it refuses the label because the new files call for a
 * higher one (`label-below-suggestion`), the panel scans them here too and offers the label step
 * of the Send screen (LabelChooser), so the sender picks the suggested or a higher label, or
 * keeps a lower one with a reason. The rule itself stays in Rust and src/labels.ts.
 */
export function CorrectionPanel({ api, entry, files, onDone, onCancel }: CorrectionPanelProps) {
  const { t } = useTranslation();
  const [note, setNote] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const { scanning, review, choice, setChoice, choosing, setChoosing, scan } = useLabelReview(api, setError);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function send() {
    if (sending) return;
    setSending(true);
    setError(null);
    try {
      const queued = await api.correctParcel({
        parcel_id: entry.parcel_id,
        files,
        label: choice?.label ?? null,
        override_reason: choice?.overrideReason ?? null,
        // Rust drops a blank note.
        note: note.trim() === "" ? null : note,
      });
      onDone(queued);
    } catch (caught) {
      const failure = toApiError(caught);
      setError(failure);
      setSending(false);
      if (failure.code === LABEL_BELOW_SUGGESTION) {
        setChoice(null);
        await scan(files);
      }
    }
  }

  const titleId = `correct-${entry.parcel_id}-title`;
  return (
    <section className="correction-panel" aria-labelledby={titleId} data-testid="correction-panel">
      <h3 id={titleId} ref={headingRef} tabIndex={-1}>
        {t("parcel.correction.title")}
      </h3>
      <p>{t("parcel.correction.intro")}</p>
      <p className="correction-files-title">{t("parcel.correction.files")}</p>
      <ul className="file-list correction-files">
        {files.map((path) => (
          <li key={path} className="file-name" title={path}>
            {baseName(path)}
          </li>
        ))}
      </ul>

      {error && <ErrorNotice error={error} />}
      {scanning && <p role="status">{t("parcel.correction.scanning")}</p>}

      {choosing && review !== null ? (
        <div className="correction-label">
          <p className="notice notice-warning">{t("parcel.correction.label_needed")}</p>
          <details className="correction-scan">
            <summary>{t("parcel.correction.scan_details")}</summary>
            <ScanResults review={review} />
          </details>
          <LabelChooser
            suggested={review.suggested}
            initial={choice}
            onNext={(chosen) => {
              setChoice(chosen);
              setChoosing(false);
              setError(null);
            }}
          />
          <div className="actions">
            <button type="button" className="secondary" data-action="cancel-correction" onClick={onCancel}>
              {t("parcel.correction.cancel")}
            </button>
          </div>
        </div>
      ) : (
        <>
          <div className="correction-chosen">
            {choice === null ? (
              <p>
                {t("parcel.correction.same_label")} <LabelChip label={entry.label} />
              </p>
            ) : (
              <>
                <p>
                  {t("parcel.correction.chosen_label")} <LabelChip label={choice.label} />
                </p>
                {choice.overrideReason !== null && (
                  <p>{t("parcel.correction.reason", { reason: choice.overrideReason })}</p>
                )}
              </>
            )}
            {review !== null && (
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  data-action="change-label"
                  disabled={sending}
                  onClick={() => setChoosing(true)}
                >
                  {t("parcel.correction.change_label")}
                </button>
              </div>
            )}
          </div>
          <NoteField id="correction-note" label={t("parcel.correction.note_label")} value={note} onChange={setNote} />
          {sending && <p role="status">{t("parcel.correction.sending")}</p>}
          <div className="actions">
            <button type="button" className="secondary" data-action="cancel-correction" disabled={sending} onClick={onCancel}>
              {t("parcel.correction.cancel")}
            </button>
            <button
              type="button"
              id="send-correction"
              data-action="send-correction"
              disabled={sending || scanning}
              onClick={() => void send()}
            >
              {t("parcel.correction.send")}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
