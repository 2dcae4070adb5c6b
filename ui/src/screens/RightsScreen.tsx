import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Api, ApiError } from "../api";
import type { RequestHandler } from "../bindings/RequestHandler";
import type { RightsRequest } from "../bindings/RightsRequest";
import type { SentEntry } from "../bindings/SentEntry";
import { MAX_NOTE_CHARS, REQUEST_STATUSES } from "../bindings/limits";
import { ErrorNotice } from "../components/ErrorNotice";
import { Sealing, useRequiredNote, useSealing } from "../components/Sealing";
import { ListState } from "../components/ListState";
import { formatDateTime, formatList, formatNumber } from "../format";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";
import "./cluster.css";
import "./onboarding.css";
import "./rights.css";

export interface RightsScreenProps {
  api: Pick<Api, "rightsRequests" | "requestAccess" | "updateRequest" | "sent">;
  feed: SyncFeed;
}

/** The rights the policy gives partners, as Rust names them. */
const RIGHTS = new Set(["access", "correction", "deletion"]);

/** Every status a request can show: `requested` and `received` before a handler answers, then theirs. */
const KNOWN_STATUSES = new Set<string>(["requested", "received", ...REQUEST_STATUSES]);

/** The answer a handler most likely gives next, offered first in the answer form. */
const NEXT_STATUS: Record<string, string> = { acknowledged: "in-progress", "in-progress": "done" };

/** A parcel id short enough to read at a glance (the whole id is in the title). */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

function StatusText({ status }: { status: string }) {
  const { t } = useTranslation();
  // A status this UI does not know yet (a newer shell) is shown as it came.
  return <>{KNOWN_STATUSES.has(status) ? t(`rights.status.${status}`) : status}</>;
}

/** A status as a chip: the word carries the meaning, the border only repeats it. */
function StatusChip({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`status request-status-${status}`} data-status={status} data-testid={testId}>
      <StatusText status={status} />
    </span>
  );
}

/**
 * Rights requests: the policy gives partners the right to access, correct and delete the data
 * they submitted, and each is a request someone must answer by a due date. A partner asks for
 * access here (corrections and deletions are made from the Sent screen and listed here too);
 * an IMO answers the requests received. Read again after every sync pass, which is when
 * requests and answers arrive.
 */
export function RightsScreen({ api, feed }: RightsScreenProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { data: entries, error, reload } = useRefreshing(() => api.rightsRequests(), feed.passes);
  const { data: sent, error: sentError } = useRefreshing(() => api.sent(), feed.passes);
  const [onlyOpen, setOnlyOpen] = useState(false);
  // Requests answered on this screen: they stay in view under the filter even once closed, so
  // that what became of the answer is not lost with them.
  const [answered, setAnswered] = useState<ReadonlySet<string>>(new Set());

  // Requests received first: those are the ones this member must answer.
  const overdue = (["received", "made"] as const).map(
    (side) => [side, entries?.filter((entry) => entry.overdue && entry.direction === side).length ?? 0] as const,
  );
  const shown = entries?.filter((entry) => !onlyOpen || entry.open || answered.has(entry.request_id)) ?? [];
  const sentById = new Map((sent ?? []).map((entry) => [entry.parcel_id, entry]));

  return (
    <section className="screen rights" aria-labelledby="rights-title">
      <h1 id="rights-title">{t("screens.rights.title")}</h1>
      <p>{t("rights.intro")}</p>
      <AccessForm api={api} sent={sent} sentError={sentError} onRequested={reload} />
      <section aria-labelledby="rights-list-title">
        <h2 id="rights-list-title">{t("rights.list.title")}</h2>
        {error && <ErrorNotice error={error} />}
        {overdue.some(([, count]) => count > 0) && (
          <div className="notice notice-warning rights-summary" data-testid="rights-overdue-summary">
            {overdue.map(
              ([side, count]) =>
                count > 0 && (
                  <p key={side} data-testid={`rights-overdue-${side}`}>
                    {/* The plural keys (`received_one`, `received_other`…) are chosen by count. */}
                    {t(`rights.overdue.${side}`, { count, number: formatNumber(count, lang) })}
                  </p>
                ),
            )}
          </div>
        )}
        <ListState entries={entries} error={error} empty={t("rights.list.empty")} emptyTestId="rights-empty" />
        {entries !== undefined && entries.length > 0 && (
          <>
            <p className="rights-filter">
              <label className="select-all">
                <input
                  type="checkbox"
                  id="rights-only-open"
                  data-testid="rights-only-open"
                  checked={onlyOpen}
                  onChange={(event) => {
                    setOnlyOpen(event.target.checked);
                    setAnswered(new Set());
                  }}
                />{" "}
                {t("rights.list.only_open")}
              </label>
            </p>
            {shown.length === 0 ? (
              <p className="empty" data-testid="rights-none-open">
                {t("rights.list.none_open")}
              </p>
            ) : (
              <ul className="parcel-list" data-testid="rights-list">
                {shown.map((entry) => (
                  <RequestRow
                    key={entry.request_id}
                    api={api}
                    entry={entry}
                    sent={entry.about === null ? undefined : sentById.get(entry.about)}
                    onAnswered={() => {
                      setAnswered((previous) => new Set(previous).add(entry.request_id));
                      reload();
                    }}
                  />
                ))}
              </ul>
            )}
          </>
        )}
      </section>
    </section>
  );
}

/** The file names of a sent parcel, joined as the reader's language joins a list. */
function filesOf(entry: SentEntry, language: string): string {
  return formatList(
    entry.files.map((file) => file.name),
    language,
  );
}

function AccessForm({
  api,
  sent,
  sentError,
  onRequested,
}: {
  api: Pick<Api, "requestAccess">;
  sent: SentEntry[] | undefined;
  sentError: ApiError | null;
  onRequested: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { note, setNote, blank, noteRef, take, edit } = useRequiredNote();
  // "" is everything sent (null for the shell); otherwise a parcel id.
  const [about, setAbout] = useState("");
  const { busy, done, failed, clear, seal } = useSealing();
  // A cancelled parcel never reached anyone: there is nothing to ask about.
  const parcels = (sent ?? []).filter((entry) => entry.status !== "cancelled");

  async function submit(event: FormEvent) {
    event.preventDefault();
    clear();
    const text = take();
    if (text === null) return;
    if (await seal(() => api.requestAccess(about === "" ? null : about, text))) {
      setNote("");
      setAbout("");
      onRequested();
    }
  }

  const describedBy = blank ? "rights-access-note-hint rights-access-note-problem" : "rights-access-note-hint";
  return (
    <section className="setup-part" aria-labelledby="rights-access-title">
      <h2 id="rights-access-title">{t("rights.access.title")}</h2>
      <form
        className="setup-form"
        data-testid="rights-access-form"
        onSubmit={(event) => void submit(event)}
        noValidate
      >
        <div className="field">
          <label htmlFor="rights-access-note">{t("rights.access.note_label")}</label>
          <textarea
            id="rights-access-note"
            ref={noteRef}
            required
            rows={4}
            maxLength={MAX_NOTE_CHARS}
            value={note}
            aria-invalid={blank || undefined}
            aria-describedby={describedBy}
            onChange={(event) => edit(event.target.value)}
          />
          <p id="rights-access-note-hint" className="hint">
            {t("rights.access.note_hint", { max: formatNumber(MAX_NOTE_CHARS, lang) })}
          </p>
          {blank && (
            <p id="rights-access-note-problem" className="problem" role="alert" data-testid="rights-access-blank">
              {t("rights.access.blank")}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="rights-about">{t("rights.access.about_label")}</label>
          <select
            id="rights-about"
            value={about}
            aria-describedby="rights-about-hint"
            onChange={(event) => setAbout(event.target.value)}
          >
            <option value="">{t("rights.access.about_all")}</option>
            {parcels.map((entry) => (
              <option key={entry.parcel_id} value={entry.parcel_id}>
                {t("rights.access.about_option", {
                  files: filesOf(entry, lang),
                  time: formatDateTime(entry.created_at, lang),
                })}
              </option>
            ))}
          </select>
          <p id="rights-about-hint" className="hint">
            {t("rights.access.about_hint")}
          </p>
          {/* Without the sent list, "everything we sent" can still be asked for. */}
          {sentError && <ErrorNotice error={sentError} />}
        </div>
        <div className="actions">
          <button type="submit" id="rights-request-access" disabled={busy}>
            {t("rights.access.submit")}
          </button>
        </div>
      </form>
      <Sealing strings="rights.access" testId="rights-access-sent" busy={busy} done={done} failed={failed} />
    </section>
  );
}

function RequestRow({
  api,
  entry,
  sent,
  onAnswered,
}: {
  api: Pick<Api, "updateRequest">;
  entry: RightsRequest;
  /** The parcel it is about, when this member sent it. */
  sent: SentEntry | undefined;
  onAnswered: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const id = entry.request_id;
  const received = entry.direction === "received";
  // What became of this member's answer: kept here, not in the form, which goes once the
  // answer closes the request.
  const { busy, done, failed, seal } = useSealing();

  async function answer(status: string, note: string | null): Promise<boolean> {
    const sealed = await seal(() => api.updateRequest(id, status, note));
    if (sealed) onAnswered();
    return sealed;
  }

  const titleId = `rights-${id}-title`;
  return (
    <li
      className={`parcel-row request-row-${entry.open ? "open" : "closed"}${entry.overdue ? " request-overdue" : ""}`}
      data-testid="rights-row"
      data-request-id={id}
      data-right={entry.right}
      data-direction={entry.direction}
      data-status={entry.status}
      data-open={String(entry.open)}
      data-overdue={String(entry.overdue)}
      aria-labelledby={titleId}
    >
      <h3 className="row-head rights-title" id={titleId}>
        <span className="row-title" data-testid="rights-right">
          {RIGHTS.has(entry.right) ? t(`rights.right.${entry.right}`) : entry.right}
        </span>{" "}
        <span className="rights-direction" data-testid="rights-direction">
          {received
            ? t("rights.received", { name: entry.requester.name, org: entry.requester.org })
            : t("rights.made")}
        </span>
      </h3>
      <p className="row-tags">
        <span className="visually-hidden">{t("rights.status_label")} </span>
        <StatusChip status={entry.status} testId="rights-status" />{" "}
        <span className="status" data-testid="rights-open" data-open={String(entry.open)}>
          {entry.open ? t("rights.open") : t("rights.closed")}
        </span>{" "}
        {entry.overdue && (
          <span className="badge badge-warning" data-testid="rights-overdue">
            {t("rights.overdue_badge")}
          </span>
        )}
      </p>
      <p data-testid="rights-about">
        {t("rights.about_label")}{" "}
        {entry.about === null ? (
          t("rights.about_everything")
        ) : (
          <>
            <code className="parcel-id" title={entry.about}>
              {shortId(entry.about)}
            </code>
            {sent !== undefined && sent.files.length > 0 && <> ({filesOf(sent, lang)})</>}
          </>
        )}
      </p>
      <div className="parcel-note">
        <p>
          <span className="note-label">{t("rights.note_label")}</span>{" "}
          <span data-testid="rights-note">{entry.note ?? t("rights.no_note")}</span>
        </p>
      </div>
      <p className="meta">
        <span data-testid="rights-requested-at">
          {t("rights.requested_at", { time: formatDateTime(entry.requested_at, lang) })}
        </span>
        <span data-testid="rights-due-at">{t("rights.due_at", { time: formatDateTime(entry.due_at, lang) })}</span>
      </p>
      <h4 className="shared-title" id={`rights-${id}-handlers`}>
        {t("rights.handlers.title")}
      </h4>
      <ul className="shared-with" aria-labelledby={`rights-${id}-handlers`}>
        {entry.handlers.map((handler) => (
          <Handler key={handler.person.member_id} requestId={id} handler={handler} />
        ))}
      </ul>
      {received && entry.open && <AnswerForm entry={entry} busy={busy} onAnswer={answer} />}
      <Sealing strings="rights.answer" testId="rights-answer-sent" busy={busy} done={done} failed={failed} />
    </li>
  );
}

function Handler({ requestId, handler }: { requestId: string; handler: RequestHandler }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const person = handler.person;
  const eventsId = `rights-${requestId}-${person.member_id}-events`;
  return (
    <li
      className="shared-recipient rights-handler"
      data-testid="rights-handler"
      data-member-id={person.member_id}
      data-status={handler.status}
    >
      <p>
        <span className="person-name">{person.name}</span> <span className="person-org">({person.org})</span>{" "}
        <StatusChip status={handler.status} />
      </p>
      <p id={eventsId} className="visually-hidden">
        {t("rights.handlers.events", { name: person.name })}
      </p>
      {handler.events.length === 0 ? (
        <p className="note">{t("rights.handlers.none")}</p>
      ) : (
        <ol className="rights-events" aria-labelledby={eventsId}>
          {handler.events.map((event, index) => (
            <li key={`${event.at}-${index}`} data-testid="rights-event" data-status={event.status}>
              <p>
                <StatusChip status={event.status} />{" "}
                <time className="meta" dateTime={event.at}>
                  {formatDateTime(event.at, lang)}
                </time>
              </p>
              {event.note !== null && <p className="rights-event-note">{event.note}</p>}
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

function AnswerForm({
  entry,
  busy,
  onAnswer,
}: {
  entry: RightsRequest;
  busy: boolean;
  /** Sends the answer; true once it is sealed. */
  onAnswer: (status: string, note: string | null) => Promise<boolean>;
}) {
  const { t } = useTranslation();
  const id = entry.request_id;
  const current = entry.handlers[0]?.status ?? entry.status;
  const [status, setStatus] = useState<string>(NEXT_STATUS[current] ?? REQUEST_STATUSES[0]);
  const { note, setNote, blank: reasonMissing, noteRef, take, edit, forgive } = useRequiredNote();
  const declining = status === "declined";
  const noteId = `rights-answer-note-${id}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    // Declining needs a note: the requester has a right to know why.
    const text = take(declining);
    if (text === null) return;
    if (await onAnswer(status, text === "" ? null : text)) setNote("");
  }

  const describedBy = reasonMissing ? `${noteId}-hint ${noteId}-problem` : `${noteId}-hint`;
  return (
    <form
      className="setup-form"
      data-testid="rights-answer-form"
      data-request-id={id}
      onSubmit={(event) => void submit(event)}
      noValidate
    >
      <fieldset>
        <legend>{t("rights.answer.legend")}</legend>
        <div className="field">
          <label htmlFor={`rights-answer-status-${id}`}>{t("rights.answer.status")}</label>
          <select
            id={`rights-answer-status-${id}`}
            value={status}
            onChange={(event) => {
              setStatus(event.target.value);
              if (event.target.value !== "declined") forgive();
            }}
          >
            {REQUEST_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`rights.status.${value}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={noteId}>{t("rights.answer.note")}</label>
          <textarea
            id={noteId}
            ref={noteRef}
            rows={3}
            maxLength={MAX_NOTE_CHARS}
            value={note}
            required={declining}
            aria-invalid={reasonMissing || undefined}
            aria-describedby={describedBy}
            onChange={(event) => edit(event.target.value)}
          />
          <p id={`${noteId}-hint`} className="hint">
            {t("rights.answer.note_hint")}
          </p>
          {reasonMissing && (
            <p id={`${noteId}-problem`} className="problem" role="alert" data-testid="rights-decline-blank">
              {t("rights.answer.decline_blank")}
            </p>
          )}
        </div>
        <div className="actions">
          <button type="submit" data-action="answer-request" disabled={busy}>
            {t("rights.answer.submit")}
          </button>
        </div>
      </fieldset>
    </form>
  );
}
