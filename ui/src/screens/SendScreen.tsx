import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, toApiError, type Api } from "../api";
import type { Contact } from "../bindings/Contact";
import type { Label } from "../bindings/Label";
import type { PseudonymPlan } from "../bindings/PseudonymPlan";
import type { Queued } from "../bindings/Queued";
import type { Review } from "../bindings/Review";
import type { ScanReport } from "../bindings/ScanReport";
import { ErrorNotice } from "../components/ErrorNotice";
import { LabelChip } from "../components/LabelChip";
import { LabelChooser } from "../components/LabelChooser";
import { NoteField } from "../components/NoteField";
import { PseudonymisePanel, fileName } from "../components/PseudonymisePanel";
import { RoleList } from "../components/RoleList";
import { ScanResults } from "../components/ScanResults";
import { formatList, formatNumber } from "../format";
import { rank, type LabelChoice } from "../labels";

type Step =
  | { step: "pick" }
  | { step: "scanning"; paths: string[] }
  | { step: "review"; paths: string[]; review: Review; choice: LabelChoice | null }
  | { step: "label"; paths: string[]; review: Review; choice: LabelChoice | null }
  | { step: "recipients"; paths: string[]; review: Review; choice: LabelChoice }
  | { step: "sent"; queued: Queued };

const STEP_ORDER = ["pick", "review", "label", "recipients"] as const;

export interface SendScreenProps {
  api: Pick<
    Api,
    | "pickFiles"
    | "onFileDrop"
    | "scanFiles"
    | "contacts"
    | "send"
    | "suggestPseudonymisation"
    | "pseudonymiseFile"
    | "importPseudonymKey"
    | "pickKeyFile"
  >;
}

/** Files whose scan suggests one of these labels are offered a pseudonymised copy. */
const PSEUDONYMISE_LABELS: ReadonlySet<Label> = new Set<Label>(["highly-confidential", "confidential"]);

/** A file the flow sends as its pseudonymised copy (keyed by the copy's path). */
interface CopyInUse {
  /** The file the sender picked, unchanged. */
  original: string;
  /** The original's scan, back in the review if the sender returns to the original. */
  report: ScanReport;
}

/** The most sensitive label of the reports (`public` for none), as `Review.suggested` is. */
function mostSensitive(reports: readonly ScanReport[]): Label {
  let label: Label = "public";
  for (const report of reports) if (rank(report.suggested_label) > rank(label)) label = report.suggested_label;
  return label;
}

/** The review with the file at `index` replaced: its path and its scan. */
function replaceFile(paths: string[], review: Review, index: number, path: string, report: ScanReport) {
  const nextPaths = paths.map((p, i) => (i === index ? path : p));
  const reports = review.reports.map((r, i) => (i === index ? report : r));
  return { paths: nextPaths, review: { reports, suggested: mostSensitive(reports) } };
}

/**
 * Send: pick files → what the scan found (and, optionally, a pseudonymised copy of a table to
 * send instead) → label → recipients and note → sealed into the outbox. Sealing never waits
 * for the network: the parcel waits in the outbox and the background sync uploads it when the
 * relay can be reached.
 */
export function SendScreen({ api }: SendScreenProps) {
  const { t, i18n } = useTranslation();
  const [state, setState] = useState<Step>({ step: "pick" });
  const [error, setError] = useState<ApiError | null>(null);
  const [noFiles, setNoFiles] = useState(false);
  // Files dragged over the window while the first step waits for them.
  const [dropHover, setDropHover] = useState(false);
  // Kept across Back and Next so that nothing typed or ticked is lost; null = not chosen yet
  // (the default recipients are ticked when the list arrives).
  const [recipients, setRecipients] = useState<string[] | null>(null);
  const [note, setNote] = useState("");
  // The pseudonymise step: the plans suggested per picked path, the copies sent instead of
  // their originals, and the file (index in the list) whose panel is open.
  const [plans, setPlans] = useState<Record<string, PseudonymPlan>>({});
  const [copies, setCopies] = useState<Record<string, CopyInUse>>({});
  const [panel, setPanel] = useState<number | null>(null);
  const planRequest = useRef(0);
  // The file whose "Make a pseudonymised copy instead" button takes the focus next.
  const [focusOffer, setFocusOffer] = useState<string | null>(null);
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

  useEffect(() => {
    if (focusOffer === null) return;
    setFocusOffer(null);
    const buttons = document.querySelectorAll<HTMLElement>('[data-action="pseudonymise"]');
    const button = [...buttons].find((candidate) => candidate.dataset.file === focusOffer);
    if (button) button.focus();
    else headingRef.current?.focus();
  }, [focusOffer]);

  function startOver() {
    setError(null);
    setNoFiles(false);
    setRecipients(null);
    setNote("");
    resetPseudonymise();
    setState({ step: "pick" });
  }

  function resetPseudonymise() {
    planRequest.current += 1;
    setPlans({});
    setCopies({});
    setPanel(null);
  }

  /**
   * Asks for a plan for each file the scan calls confidential or highly confidential. The step
   * is optional: a file without a plan (or whose suggestion failed) is simply not offered one.
   */
  function suggestPlans(paths: string[], review: Review) {
    const request = planRequest.current;
    paths.forEach((path, index) => {
      const report = review.reports[index];
      if (!report || !report.scanned || !PSEUDONYMISE_LABELS.has(report.suggested_label)) return;
      api.suggestPseudonymisation(path).then(
        (plan) => {
          if (plan && planRequest.current === request) setPlans((all) => ({ ...all, [path]: plan }));
        },
        () => undefined,
      );
    });
  }

  /** "Send the copy instead": the copy takes the original's place in the list and the review. */
  function takeCopy(index: number, copyPath: string, scan: ScanReport) {
    if (state.step !== "review") return;
    const original = state.paths[index];
    const report = state.review.reports[index];
    if (original === undefined || report === undefined) return;
    setCopies((all) => ({ ...all, [copyPath]: { original, report } }));
    // A label chosen for the original's suggestion is chosen again for the copy's.
    setState({ ...state, ...replaceFile(state.paths, state.review, index, copyPath, scan), choice: null });
    closePanel();
  }

  /** Back to the original for a file that was to be sent as its copy. */
  function takeOriginal(index: number) {
    if (state.step !== "review") return;
    const copy = copies[state.paths[index] ?? ""];
    if (!copy) return;
    setState({ ...state, ...replaceFile(state.paths, state.review, index, copy.original, copy.report), choice: null });
    setFocusOffer(copy.original);
  }

  function closePanel() {
    setPanel(null);
    headingRef.current?.focus();
  }

  /** "Keep the original": back to the review, on the button that opened the panel. */
  function keepOriginal(path: string) {
    setPanel(null);
    setFocusOffer(path);
  }

  /** Clears what the last attempt at the first step left behind. */
  function clearPick() {
    setError(null);
    setNoFiles(false);
    resetPseudonymise();
  }

  /** "Choose files…": the native dialog, then the same check as for dropped files. */
  async function choose() {
    clearPick();
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
    await check(paths);
  }

  /**
   * Scans the chosen or dropped files and shows what the scan found; on failure, back to the
   * first step with the error.
   */
  async function check(paths: string[]) {
    clearPick();
    setState({ step: "scanning", paths });
    try {
      const review = await api.scanFiles(paths);
      setState({ step: "review", paths, review, choice: null });
      suggestPlans(paths, review);
    } catch (caught) {
      setError(toApiError(caught));
      setState({ step: "pick" });
    }
  }

  // Files dropped onto the window count only at the first step: later, a stray drop must not
  // throw away the sender's review, label and recipients. The subscription lives as long as the
  // step (and the screen); the handler always sees this render's `check`.
  const atPick = state.step === "pick";
  const onDrop = useRef<(paths: string[]) => void>(() => undefined);
  onDrop.current = (paths) => {
    if (atPick && paths.length > 0) void check(paths);
  };
  useEffect(() => {
    if (!atPick) return;
    const stop = api.onFileDrop({ hover: setDropHover, drop: (paths) => onDrop.current(paths) });
    return () => {
      stop();
      setDropHover(false);
    };
  }, [api, atPick]);

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
        <div className={dropHover ? "step-pick drop-active" : "step-pick"} data-testid="pick-area">
          <p>{t("send.pick.intro")}</p>
          <div className="actions">
            <button
              type="button"
              id="pick-files"
              onClick={() => void choose()}
              disabled={state.step === "scanning"}
              aria-describedby="pick-drop-hint"
            >
              {t("send.pick.button")}
            </button>
          </div>
          <p id="pick-drop-hint" className="hint">
            {t("send.pick.drop_hint")}
          </p>
          {dropHover && state.step === "pick" && (
            <p role="status" className="drop-now">
              {t("send.pick.drop_now")}
            </p>
          )}
          {state.step === "scanning" && (
            <p role="status">{t("send.pick.scanning", { files: formatNumber(state.paths.length, lang) })}</p>
          )}
          {noFiles && <p role="status">{t("send.pick.none")}</p>}
        </div>
      )}

      {state.step === "review" && (
        <div className="step-review">
          {panel !== null && state.paths[panel] !== undefined && plans[state.paths[panel]!] ? (
            <PseudonymisePanel
              key={state.paths[panel]}
              api={api}
              path={state.paths[panel]!}
              plan={plans[state.paths[panel]!]!}
              report={state.review.reports[panel]}
              onUseCopy={(copyPath, scan) => takeCopy(panel, copyPath, scan)}
              onKeepOriginal={() => keepOriginal(state.paths[panel]!)}
            />
          ) : (
            <>
              <ScanResults review={state.review} />
              <PseudonymiseOffers
                paths={state.paths}
                reports={state.review.reports}
                plans={plans}
                copies={copies}
                onOpen={setPanel}
                onUseOriginal={takeOriginal}
              />
              <div className="actions">
                <button type="button" className="secondary" onClick={() => setState({ step: "pick" })}>
                  {t("common.back")}
                </button>
                <button type="button" id="review-next" onClick={() => setState({ ...state, step: "label" })}>
                  {t("common.next")}
                </button>
              </div>
            </>
          )}
        </div>
      )}

      {state.step === "label" && (
        <div className="step-label">
          <CopyNotes paths={state.paths} copies={copies} />
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

      {state.step === "recipients" && <CopyNotes paths={state.paths} copies={copies} />}

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

interface PseudonymiseOffersProps {
  paths: string[];
  reports: ScanReport[];
  plans: Record<string, PseudonymPlan>;
  copies: Record<string, CopyInUse>;
  onOpen: (index: number) => void;
  onUseOriginal: (index: number) => void;
}

/**
 * Below the scan results: "Make a pseudonymised copy instead" for each file that has a
 * suggested plan, and for each file already replaced by its copy, a way back to the original.
 * Nothing at all when no file has a plan (the flow is then exactly as before).
 */
function PseudonymiseOffers({ paths, reports, plans, copies, onOpen, onUseOriginal }: PseudonymiseOffersProps) {
  const { t } = useTranslation();
  const id = useId();
  const items = paths
    .map((path, index) => ({ path, index, copy: copies[path], plan: plans[path] }))
    .filter((item) => item.copy !== undefined || item.plan !== undefined);
  if (items.length === 0) return null;
  return (
    <section className="pseudonymise-offers" data-testid="pseudonymise-offers" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t("pseudonymise.offers.title")}</h3>
      <p>{t("pseudonymise.offers.intro")}</p>
      <ul>
        {items.map(({ path, index, copy }) => {
          const textId = `${id}-file-${index}`;
          return copy ? (
            <li key={`${index}-${path}`} className="pseudonymise-offer" data-copy={path}>
              <p id={textId}>
                {t("pseudonymise.offers.using_copy", { file: fileName(copy.original), copy: fileName(path) })}
              </p>
              <button
                type="button"
                className="secondary"
                data-action="use-original"
                data-file={copy.original}
                aria-describedby={textId}
                onClick={() => onUseOriginal(index)}
              >
                {t("pseudonymise.offers.use_original")}
              </button>
            </li>
          ) : (
            <li key={`${index}-${path}`} className="pseudonymise-offer">
              <p id={textId} className="file-name">
                {reports[index]?.file ?? fileName(path)}
              </p>
              <button
                type="button"
                data-action="pseudonymise"
                data-file={path}
                aria-describedby={textId}
                onClick={() => onOpen(index)}
              >
                {t("pseudonymise.offers.button")}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** In the later steps: which files go as their pseudonymised copy. */
function CopyNotes({ paths, copies }: { paths: string[]; copies: Record<string, CopyInUse> }) {
  const { t } = useTranslation();
  const used = paths.filter((path) => copies[path] !== undefined);
  if (used.length === 0) return null;
  return (
    <ul className="copy-notes" data-testid="copy-in-use">
      {used.map((path) => (
        <li key={path}>
          {t("pseudonymise.summary.copy", { file: fileName(copies[path]!.original), copy: fileName(path) })}
        </li>
      ))}
    </ul>
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

      <NoteField id="note" label={t("send.recipients.note_label")} value={note} onChange={onNote} />

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
