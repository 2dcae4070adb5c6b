import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api } from "../api";
import type { ConcernEntry } from "../bindings/ConcernEntry";
import type { Label } from "../bindings/Label";
import { CONCERN_STATUSES } from "../bindings/limits";
import { ErrorNotice } from "../components/ErrorNotice";
import { Sealing, useRequiredNote, useSealing } from "../components/Sealing";
import { LabelChip } from "../components/LabelChip";
import { ListState } from "../components/ListState";
import { formatDateTime, formatList } from "../format";
import { LABELS, labelKey } from "../labels";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";

export interface ConcernsScreenProps {
  api: Pick<Api, "concerns" | "reportConcern" | "updateConcern" | "pickFiles">;
  feed: SyncFeed;
}

/** Every status a concern can show: `open` until the first update, then one of the updates'. */
const KNOWN_STATUSES: readonly string[] = ["open", ...CONCERN_STATUSES];

/** The default label of a concern: it names people and organisations more often than not. */
const DEFAULT_LABEL: Label = "confidential";

/** The last part of a path, whichever separator the OS uses. */
function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * Concerns: the cluster policy gives partners the right to report one. A concern is sealed to
 * every coordinator and IMO and nobody else (the shell chooses the recipients). The list shows
 * the concerns this member reported, with the updates sent back, and those they received to
 * handle, each with a form to send an update. Read again after every sync pass.
 */
export function ConcernsScreen({ api, feed }: ConcernsScreenProps) {
  const { t } = useTranslation();
  const { data: entries, error, reload } = useRefreshing(() => api.concerns(), feed.passes);

  return (
    <section className="screen concerns" aria-labelledby="concerns-title">
      <h1 id="concerns-title">{t("screens.concerns.title")}</h1>
      <p>{t("concerns.intro")}</p>
      <ReportForm api={api} onReported={reload} />
      <section aria-labelledby="concerns-list-title">
        <h2 id="concerns-list-title">{t("concerns.list.title")}</h2>
        {error && <ErrorNotice error={error} />}
        <ListState entries={entries} error={error} empty={t("concerns.list.empty")} emptyTestId="concerns-empty" />
        {entries !== undefined && entries.length > 0 && (
          <ul className="parcel-list">
            {entries.map((entry) => (
              <ConcernRow key={entry.parcel_id} api={api} entry={entry} onUpdated={reload} />
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

function ReportForm({
  api,
  onReported,
}: {
  api: Pick<Api, "reportConcern" | "pickFiles">;
  onReported: () => void;
}) {
  const { t } = useTranslation();
  const { note, setNote, blank, noteRef, take, edit } = useRequiredNote();
  const [paths, setPaths] = useState<string[]>([]);
  const [label, setLabel] = useState<Label>(DEFAULT_LABEL);
  const { busy, done, failed, setFailed, clear, seal } = useSealing();

  async function addFiles() {
    setFailed(null);
    try {
      const chosen = await api.pickFiles();
      if (chosen.length > 0) setPaths((previous) => [...previous, ...chosen.filter((path) => !previous.includes(path))]);
    } catch (caught) {
      setFailed(toApiError(caught));
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    clear();
    const text = take();
    if (text === null) return;
    if (await seal(() => api.reportConcern(text, paths, label))) {
      setNote("");
      setPaths([]);
      setLabel(DEFAULT_LABEL);
      onReported();
    }
  }

  const describedBy = blank ? "concern-note-hint concern-note-problem" : "concern-note-hint";
  return (
    <section className="setup-part" aria-labelledby="concern-report-title">
      <h2 id="concern-report-title">{t("concerns.report.title")}</h2>
      <form className="setup-form" onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label htmlFor="concern-note">{t("concerns.report.note_label")}</label>
          <textarea
            id="concern-note"
            ref={noteRef}
            required
            rows={5}
            value={note}
            aria-invalid={blank || undefined}
            aria-describedby={describedBy}
            onChange={(event) => edit(event.target.value)}
          />
          <p id="concern-note-hint" className="hint">
            {t("concerns.report.note_hint")}
          </p>
          {blank && (
            <p id="concern-note-problem" className="problem" role="alert" data-testid="concern-note-blank">
              {t("concerns.report.blank")}
            </p>
          )}
        </div>
        <div className="field">
          <p className="hint">{t("concerns.report.files_hint")}</p>
          <div className="actions">
            <button type="button" className="secondary" id="concern-add-files" onClick={() => void addFiles()}>
              {t("concerns.report.add_files")}
            </button>
            {paths.length > 0 && (
              <button type="button" className="secondary" id="concern-clear-files" onClick={() => setPaths([])}>
                {t("concerns.report.clear_files")}
              </button>
            )}
          </div>
          {paths.length > 0 && (
            <>
              <p id="concern-files-title">{t("concerns.report.files_chosen")}</p>
              <ul aria-labelledby="concern-files-title" data-testid="concern-files">
                {paths.map((path) => (
                  <li key={path} title={path}>
                    {fileName(path)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
        <div className="field">
          <label htmlFor="concern-label">{t("concerns.report.label")}</label>
          <select id="concern-label" value={label} onChange={(event) => setLabel(event.target.value as Label)}>
            {LABELS.map((value) => (
              <option key={value} value={value}>
                {t(`label.${labelKey(value)}.name`)}
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="submit" id="report-concern" disabled={busy}>
            {t("concerns.report.submit")}
          </button>
        </div>
      </form>
      <Sealing strings="concerns.report" testId="concern-reported" busy={busy} done={done} failed={failed} />
    </section>
  );
}

function StatusText({ status }: { status: string }) {
  const { t } = useTranslation();
  // A status this UI does not know yet (a newer shell) is shown as it came.
  return <>{KNOWN_STATUSES.includes(status) ? t(`concerns.status.${status}`) : status}</>;
}

function ConcernRow({
  api,
  entry,
  onUpdated,
}: {
  api: Pick<Api, "updateConcern">;
  entry: ConcernEntry;
  onUpdated: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const received = entry.direction === "received";
  const id = entry.parcel_id;
  return (
    <li
      className="parcel-row"
      data-testid="concern-row"
      data-parcel-id={id}
      data-status={entry.status}
      data-direction={entry.direction}
    >
      <p className="parcel-head">
        <strong>
          {received
            ? t("concerns.received", { name: entry.reporter.name, org: entry.reporter.org })
            : t("concerns.reported")}
        </strong>{" "}
        <LabelChip label={entry.label} />
      </p>
      <p>{t("concerns.created", { time: formatDateTime(entry.created_at, lang) })}</p>
      <p data-testid="concern-status">
        {t("concerns.status_label")} <strong><StatusText status={entry.status} /></strong>
      </p>
      <p className="concern-note" data-testid="concern-note">
        {entry.note ?? t("concerns.no_note")}
      </p>
      {entry.files.length > 0 && (
        <p>
          {t("concerns.files")} {formatList(entry.files.map((file) => file.name), lang)}
        </p>
      )}
      <h3 id={`concern-updates-${id}`}>{t("concerns.updates.title")}</h3>
      {entry.updates.length === 0 ? (
        <p>{t("concerns.updates.none")}</p>
      ) : (
        <ol aria-labelledby={`concern-updates-${id}`}>
          {entry.updates.map((update, index) => (
            <li key={`${update.at}-${index}`} data-testid="concern-update" data-status={update.status}>
              <p>
                {t("concerns.updates.entry", {
                  status: KNOWN_STATUSES.includes(update.status) ? t(`concerns.status.${update.status}`) : update.status,
                  by: update.by,
                  time: formatDateTime(update.at, lang),
                })}
              </p>
              {update.note !== null && <p>{update.note}</p>}
            </li>
          ))}
        </ol>
      )}
      {received && <UpdateForm api={api} entry={entry} onUpdated={onUpdated} />}
    </li>
  );
}

function UpdateForm({
  api,
  entry,
  onUpdated,
}: {
  api: Pick<Api, "updateConcern">;
  entry: ConcernEntry;
  onUpdated: () => void;
}) {
  const { t } = useTranslation();
  const id = entry.parcel_id;
  const initial = (CONCERN_STATUSES as readonly string[]).includes(entry.status) ? entry.status : CONCERN_STATUSES[0];
  const [status, setStatus] = useState<string>(initial);
  const [note, setNote] = useState("");
  const { busy, done, failed, seal } = useSealing();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const text = note.trim();
    if (await seal(() => api.updateConcern(id, status, text === "" ? null : text))) {
      setNote("");
      onUpdated();
    }
  }

  return (
    <form className="setup-form" onSubmit={(event) => void submit(event)} noValidate>
      <fieldset>
        <legend>{t("concerns.update.legend")}</legend>
        <div className="field">
          <label htmlFor={`concern-status-${id}`}>{t("concerns.update.status")}</label>
          <select id={`concern-status-${id}`} value={status} onChange={(event) => setStatus(event.target.value)}>
            {CONCERN_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`concerns.status.${value}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`concern-update-note-${id}`}>{t("concerns.update.note")}</label>
          <textarea
            id={`concern-update-note-${id}`}
            rows={2}
            value={note}
            onChange={(event) => setNote(event.target.value)}
          />
        </div>
        <div className="actions">
          <button type="submit" data-action="update-concern" disabled={busy}>
            {t("concerns.update.submit")}
          </button>
        </div>
      </fieldset>
      <Sealing strings="concerns.update" testId="concern-updated" busy={busy} done={done} failed={failed} />
    </form>
  );
}
