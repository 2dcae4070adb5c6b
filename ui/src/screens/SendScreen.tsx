import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, toApiError, type Api } from "../api";
import type { Contact } from "../bindings/Contact";
import type { Queued } from "../bindings/Queued";
import type { Review } from "../bindings/Review";
import { ErrorNotice } from "../components/ErrorNotice";
import { LabelChip } from "../components/LabelChip";
import { LabelChooser } from "../components/LabelChooser";
import { RoleList } from "../components/RoleList";
import { ScanResults } from "../components/ScanResults";
import { formatList, formatNumber } from "../format";
import type { LabelChoice } from "../labels";

type Step =
  | { step: "pick" }
  | { step: "scanning"; paths: string[] }
  | { step: "review"; paths: string[]; review: Review; choice: LabelChoice | null }
  | { step: "label"; paths: string[]; review: Review; choice: LabelChoice | null }
  | { step: "recipients"; paths: string[]; review: Review; choice: LabelChoice }
  | { step: "sent"; queued: Queued };

const STEP_ORDER = ["pick", "review", "label", "recipients"] as const;

/** The longest note Rust accepts (`MAX_NOTE_CHARS` in crates/core/src/parcel/manifest.rs). */
export const MAX_NOTE_CHARS = 4000;

export interface SendScreenProps {
  api: Pick<Api, "pickFiles" | "scanFiles" | "contacts" | "send">;
}

/**
 * Send: pick files → what the scan found → label → recipients and note → sealed into the
 * outbox. Sealing never waits for the network: the parcel waits in the outbox and the
 * background sync uploads it when the relay can be reached.
 */
export function SendScreen({ api }: SendScreenProps) {
  const { t, i18n } = useTranslation();
  const [state, setState] = useState<Step>({ step: "pick" });
  const [error, setError] = useState<ApiError | null>(null);
  const [noFiles, setNoFiles] = useState(false);
  // Kept across Back and Next so that nothing typed or ticked is lost; null = not chosen yet
  // (the default recipients are ticked when the list arrives).
  const [recipients, setRecipients] = useState<string[] | null>(null);
  const [note, setNote] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  const lang = i18n.language;

  // Move focus to the new step's heading so keyboard and screen-reader users follow along.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [state.step]);

  function startOver() {
    setError(null);
    setNoFiles(false);
    setRecipients(null);
    setNote("");
    setState({ step: "pick" });
  }

  async function choose() {
    setError(null);
    setNoFiles(false);
    let paths: string[];
    try {
      paths = await api.pickFiles();
    } catch (caught) {
      setError(toApiError(caught));
      return;
    }
    if (paths.length === 0) {
      setNoFiles(true);
      return;
    }
    setState({ step: "scanning", paths });
    try {
      const review = await api.scanFiles(paths);
      setState({ step: "review", paths, review, choice: null });
    } catch (caught) {
      setError(toApiError(caught));
      setState({ step: "pick" });
    }
  }

  const visibleStep = state.step === "scanning" ? "pick" : state.step;
  const current = visibleStep === "sent" ? STEP_ORDER.length : STEP_ORDER.indexOf(visibleStep) + 1;

  return (
    <section className="screen send" aria-labelledby="send-title">
      <h1 id="send-title">{t("send.title")}</h1>
      <h2 ref={headingRef} tabIndex={-1} className="step-heading">
        {visibleStep === "sent"
          ? t("send.result.heading")
          : t("send.step", {
              current: formatNumber(current, lang),
              total: formatNumber(STEP_ORDER.length, lang),
              name: t(`send.steps.${visibleStep}`),
            })}
      </h2>

      {error && state.step !== "recipients" && <ErrorNotice error={error} />}

      {(state.step === "pick" || state.step === "scanning") && (
        <div className="step-pick">
          <p>{t("send.pick.intro")}</p>
          <div className="actions">
            <button type="button" id="pick-files" onClick={() => void choose()} disabled={state.step === "scanning"}>
              {t("send.pick.button")}
            </button>
          </div>
          {state.step === "scanning" && (
            <p role="status">{t("send.pick.scanning", { files: formatNumber(state.paths.length, lang) })}</p>
          )}
          {noFiles && <p role="status">{t("send.pick.none")}</p>}
        </div>
      )}

      {state.step === "review" && (
        <div className="step-review">
          <ScanResults review={state.review} />
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setState({ step: "pick" })}>
              {t("common.back")}
            </button>
            <button type="button" id="review-next" onClick={() => setState({ ...state, step: "label" })}>
              {t("common.next")}
            </button>
          </div>
        </div>
      )}

      {state.step === "label" && (
        <div className="step-label">
          <p>
            {t("send.review.suggested")}: <LabelChip label={state.review.suggested} />
          </p>
          <LabelChooser
            suggested={state.review.suggested}
            initial={state.choice}
            onBack={() => setState({ ...state, step: "review" })}
            onNext={(choice) => setState({ ...state, step: "recipients", choice })}
          />
        </div>
      )}

      {state.step === "recipients" && (
        <RecipientsStep
          api={api}
          paths={state.paths}
          choice={state.choice}
          recipients={recipients}
          onRecipients={setRecipients}
          note={note}
          onNote={setNote}
          error={error}
          onError={setError}
          onBack={() => {
            setError(null);
            setState({ ...state, step: "label" });
          }}
          onSent={(queued) => {
            setError(null);
            setState({ step: "sent", queued });
          }}
        />
      )}

      {state.step === "sent" && (
        <div
          className="notice notice-success send-result"
          data-testid="send-result"
          data-parcel-id={state.queued.parcel_id}
        >
          <p className="notice-title">{t("send.result.title")}</p>
          <p>{t("send.result.body", { recipients: formatList(state.queued.recipients, lang) })}</p>
          <p className="note">{t("send.result.outbox")}</p>
          <div className="actions">
            <button type="button" id="send-another" onClick={startOver}>
              {t("send.result.again")}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

interface RecipientsStepProps {
  api: Pick<Api, "contacts" | "send">;
  paths: string[];
  choice: LabelChoice;
  recipients: string[] | null;
  onRecipients: (ids: string[]) => void;
  note: string;
  onNote: (note: string) => void;
  error: ApiError | null;
  onError: (error: ApiError | null) => void;
  onBack: () => void;
  onSent: (queued: Queued) => void;
}

/**
 * Who receives the parcel (the cluster's IMOs are ticked to begin with: under the policy they
 * receive partners' data), an optional note, and Send. The list is the roster's: before the
 * first roster came from the relay there is nobody to send to, and the step says so.
 */
function RecipientsStep(props: RecipientsStepProps) {
  const { api, paths, choice, recipients, onRecipients, note, onNote, error, onError, onBack, onSent } = props;
  const { t, i18n } = useTranslation();
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const lang = i18n.language;

  useEffect(() => {
    let live = true;
    setLoadError(null);
    api.contacts().then(
      (found) => {
        if (!live) return;
        setContacts(found);
        if (recipients === null) {
          onRecipients(found.filter((contact) => contact.default_recipient).map((contact) => contact.member_id));
        }
      },
      (caught: unknown) => live && setLoadError(toApiError(caught)),
    );
    return () => {
      live = false;
    };
    // Loads once per visit (and on "Check again"); the selection is the parent's, and ticking
    // a box must not load the list again.
  }, [api, attempt]);

  // Only members still in the list count (the roster may have changed since they were ticked).
  const known = new Set((contacts ?? []).map((contact) => contact.member_id));
  const selected = (recipients ?? []).filter((id) => known.has(id));
  const canSend = contacts !== null && selected.length > 0 && !sending;

  function toggle(memberId: string, on: boolean) {
    const current = recipients ?? [];
    onRecipients(on ? [...current.filter((id) => id !== memberId), memberId] : current.filter((id) => id !== memberId));
  }

  async function send() {
    if (!canSend) return;
    onError(null);
    setSending(true);
    try {
      const queued = await api.send({
        files: paths,
        to: selected,
        label: choice.label,
        override_reason: choice.overrideReason,
        // Rust keeps line breaks in a note and drops a blank one.
        note: note.trim() === "" ? null : note,
      });
      onSent(queued);
    } catch (caught) {
      onError(toApiError(caught));
      setSending(false);
    }
  }

  return (
    <div className="step-recipients">
      <div className="summary">
        <p>
          {t("send.recipients.files", { files: formatNumber(paths.length, lang) })}{" "}
          <LabelChip label={choice.label} />
        </p>
        {choice.overrideReason !== null && (
          <p>{t("send.recipients.override", { reason: choice.overrideReason })}</p>
        )}
      </div>

      {loadError && <ErrorNotice error={loadError} />}
      {contacts === null && !loadError && <p role="status">{t("send.recipients.loading")}</p>}

      {contacts !== null && contacts.length === 0 && (
        <div className="notice notice-warning" data-testid="no-roster">
          <p className="notice-title">{t("send.recipients.empty_title")}</p>
          <p>{t("send.recipients.empty")}</p>
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setAttempt((n) => n + 1)}>
              {t("send.recipients.check_again")}
            </button>
          </div>
        </div>
      )}

      {contacts !== null && contacts.length > 0 && (
        <fieldset className="recipients">
          <legend>{t("send.recipients.legend")}</legend>
          <p className="hint">{t("send.recipients.hint")}</p>
          <ul className="recipient-list">
            {contacts.map((contact) => {
              const id = `recipient-${contact.member_id}`;
              return (
                <li key={contact.member_id} className="recipient">
                  <input
                    type="checkbox"
                    id={id}
                    name="recipient"
                    value={contact.member_id}
                    checked={selected.includes(contact.member_id)}
                    onChange={(event) => toggle(contact.member_id, event.target.checked)}
                  />
                  <label htmlFor={id}>
                    <span className="person-name">{contact.name}</span>{" "}
                    <span className="person-org">({contact.org})</span> <RoleList roles={contact.roles} />
                  </label>
                </li>
              );
            })}
          </ul>
        </fieldset>
      )}

      <div className="field">
        <label htmlFor="note">{t("send.recipients.note_label")}</label>
        <textarea
          id="note"
          rows={3}
          maxLength={MAX_NOTE_CHARS}
          value={note}
          aria-describedby="note-hint"
          onChange={(event) => onNote(event.target.value)}
        />
        <p id="note-hint" className="hint">
          {t("send.recipients.note_hint", { max: formatNumber(MAX_NOTE_CHARS, lang) })}
        </p>
      </div>

      {error && <ErrorNotice error={error} />}

      {contacts !== null && contacts.length > 0 && selected.length === 0 && (
        <p id="send-blocked" className="problem">
          {t("send.recipients.none_chosen")}
        </p>
      )}
      {sending && <p role="status">{t("send.recipients.sealing")}</p>}

      <div className="actions">
        <button type="button" className="secondary" onClick={onBack} disabled={sending}>
          {t("common.back")}
        </button>
        <button
          type="button"
          id="send"
          onClick={() => void send()}
          disabled={!canSend}
          aria-describedby={selected.length === 0 && contacts !== null && contacts.length > 0 ? "send-blocked" : undefined}
        >
          {t("send.recipients.send")}
        </button>
      </div>
    </div>
  );
}
