import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { InboxEntry } from "../bindings/InboxEntry";
import type { Person } from "../bindings/Person";
import type { Queued } from "../bindings/Queued";
import { ErrorNotice } from "../components/ErrorNotice";
import { LabelChip } from "../components/LabelChip";
import { LabelChooser } from "../components/LabelChooser";
import { NoteField } from "../components/NoteField";
import { ScanResults } from "../components/ScanResults";
import { formatDateTime, formatNumber } from "../format";
import { useLabelReview } from "../labelReview";
import { baseName, LABEL_BELOW_SUGGESTION } from "./CorrectionPanel";
import "./products.css";

/**
 * The kinds of received parcel a product can be made from: a partner's data, or the correction
 * that replaced it (the shell's `publish_product` accepts exactly these two; a receipt, a
 * concern or another product is not a partner's data).
 */
export const SOURCE_KINDS: ReadonlySet<string> = new Set(["data", "correction"]);

/** Selected parcels that cannot be a product's source, by why. */
export interface LeftOut {
  /** Not a partner's data parcel (a receipt, a concern, a product…). */
  notData: number;
  /** Deleted at the sender's request: a product must not use withdrawn data. */
  deleted: number;
}

/** The selected parcels a product can be made from, and how many of the others were left out. */
export function productSources(selected: readonly InboxEntry[]): { sources: InboxEntry[]; leftOut: LeftOut } {
  const sources: InboxEntry[] = [];
  const leftOut: LeftOut = { notData: 0, deleted: 0 };
  for (const entry of selected) {
    if (!SOURCE_KINDS.has(entry.kind)) leftOut.notData += 1;
    else if (entry.status === "deleted") leftOut.deleted += 1;
    else sources.push(entry);
  }
  return { sources, leftOut };
}

/** A sender and whether the roster vouched for them on every parcel of theirs used. */
interface Recipient {
  person: Person;
  verified: boolean;
}

/**
 * Who the product will go to, for display: each distinct sender of the sources, in the order of
 * the list. The shell works the recipients out again from its own records when it seals.
 */
export function productRecipients(sources: readonly InboxEntry[]): Recipient[] {
  const recipients: Recipient[] = [];
  for (const entry of sources) {
    const known = recipients.find((r) => r.person.member_id === entry.sender.member_id);
    const verified = entry.sender_status === "verified";
    if (known) known.verified = known.verified && verified;
    else recipients.push({ person: entry.sender, verified });
  }
  return recipients;
}

export interface ProductPanelProps {
  api: Pick<Api, "pickFiles" | "scanFiles" | "publishProduct">;
  /** The received parcels the product is made from (already sorted by `productSources`). */
  sources: InboxEntry[];
  /** Selected parcels that could not be sources. */
  leftOut: LeftOut;
  onDone: (queued: Queued) => void;
  onCancel: () => void;
}

/**
 * An IMO's information product (a report, a map, a table) made from partners' parcels: the
 * panel names the sources and the partners who will receive it (their senders, and nobody
 * else), then takes the product's files, scans them and asks for the label with the Send
 * screen's label step (LabelChooser: a label below the suggestion needs a reason), and an
 * optional note. The shell checks the sources, computes the recipients and applies the label
 * rule again when it seals.
 */
export function ProductPanel({ api, sources, leftOut, onDone, onCancel }: ProductPanelProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [files, setFiles] = useState<string[]>([]);
  const [noFiles, setNoFiles] = useState(false);
  const [picking, setPicking] = useState(false);
  const [relabel, setRelabel] = useState(false);
  const [note, setNote] = useState("");
  const [publishing, setPublishing] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const { scanning, review, setReview, choice, setChoice, choosing, setChoosing, scan } = useLabelReview(
    api,
    setError,
  );
  const headingRef = useRef<HTMLHeadingElement>(null);
  const chosenRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const recipients = productRecipients(sources);
  const leftOutTotal = leftOut.notData + leftOut.deleted;
  const ready = files.length > 0 && review !== null && choice !== null && !choosing;
  const working = picking || scanning || publishing;

  async function pick() {
    setError(null);
    setNoFiles(false);
    setPicking(true);
    let paths: string[];
    try {
      paths = await api.pickFiles();
    } catch (caught) {
      setError(toApiError(caught));
      return;
    } finally {
      setPicking(false);
    }
    // Closing the dialog keeps the files chosen before, if any.
    if (paths.length === 0) {
      setNoFiles(true);
      return;
    }
    setFiles(paths);
    setReview(null);
    setChoice(null);
    setRelabel(false);
    await scan(paths);
  }

  async function publish() {
    if (!ready || publishing || choice === null) return;
    setPublishing(true);
    setError(null);
    try {
      const queued = await api.publishProduct({
        files,
        sources: sources.map((entry) => entry.parcel_id),
        label: choice.label,
        override_reason: choice.overrideReason,
        // Rust drops a blank note.
        note: note.trim() === "" ? null : note,
      });
      onDone(queued);
    } catch (caught) {
      const failure = toApiError(caught);
      setError(failure);
      setPublishing(false);
      // The files changed since the scan and now call for a higher label: scan them again and
      // ask for the label again, as the correction panel does.
      if (failure.code === LABEL_BELOW_SUGGESTION) {
        setChoice(null);
        setRelabel(true);
        await scan(files);
      }
    }
  }

  return (
    <section className="product-panel" id="product-panel" aria-labelledby="product-title" data-testid="product-panel">
      <h2 id="product-title" ref={headingRef} tabIndex={-1}>
        {t("products.title")}
      </h2>
      <p>{t("products.intro")}</p>

      <section aria-labelledby="product-sources-title">
        <h3 id="product-sources-title">{t("products.sources.title", { n: formatNumber(sources.length, lang) })}</h3>
        <ul className="product-sources" data-testid="product-sources">
          {sources.map((entry) => (
            <li key={entry.parcel_id} className="product-source" data-parcel-id={entry.parcel_id}>
              <p className="row-title">
                <span className="person-name">{entry.sender.name}</span>{" "}
                <span className="person-org">({entry.sender.org})</span> <LabelChip label={entry.label} />
              </p>
              <p className="product-source-files">
                <span className="note-label">{t("products.sources.files")}</span>{" "}
                {entry.files.map((file, index) => (
                  <span key={file.name}>
                    {index > 0 && ", "}
                    <span className="file-name">{file.name}</span>
                  </span>
                ))}
              </p>
              <p className="meta">{t("inbox.received_at", { time: formatDateTime(entry.received_at, lang) })}</p>
              {entry.superseded_by !== null && <p className="note">{t("products.sources.superseded")}</p>}
            </li>
          ))}
        </ul>
        {leftOutTotal > 0 && (
          <div className="notice notice-warning product-left-out" data-testid="product-left-out">
            <p className="notice-title">{t("products.left_out.title", { n: formatNumber(leftOutTotal, lang) })}</p>
            <ul>
              {leftOut.notData > 0 && (
                <li data-reason="not-data">{t("products.left_out.not_data", { n: formatNumber(leftOut.notData, lang) })}</li>
              )}
              {leftOut.deleted > 0 && (
                <li data-reason="deleted">{t("products.left_out.deleted", { n: formatNumber(leftOut.deleted, lang) })}</li>
              )}
            </ul>
          </div>
        )}
      </section>

      <section aria-labelledby="product-recipients-title">
        <h3 id="product-recipients-title">{t("products.recipients.title")}</h3>
        <p id="product-recipients-intro">{t("products.recipients.intro")}</p>
        <ul className="product-recipients" data-testid="product-recipients" aria-labelledby="product-recipients-intro">
          {recipients.map(({ person, verified }) => (
            <li key={person.member_id} data-member-id={person.member_id}>
              <span className="person-name">{person.name}</span> <span className="person-org">({person.org})</span>
              {!verified && <p className="notice notice-warning">{t("products.recipients.unverified")}</p>}
            </li>
          ))}
        </ul>
        <p className="product-nobody-else">{t("products.recipients.nobody_else")}</p>
      </section>

      <section aria-labelledby="product-files-title">
        <h3 id="product-files-title">{t("products.files.title")}</h3>
        <p>{t("products.files.intro")}</p>
        {files.length > 0 && (
          <>
            <p className="note-label" id="product-files-chosen">
              {t("products.files.chosen")}
            </p>
            <ul className="file-list product-files" aria-labelledby="product-files-chosen" data-testid="product-files">
              {files.map((path) => (
                <li key={path} className="file-name" title={path}>
                  {baseName(path)}
                </li>
              ))}
            </ul>
          </>
        )}
        <div className="actions">
          <button
            type="button"
            className={files.length > 0 ? "secondary" : undefined}
            data-testid="product-pick"
            disabled={working}
            onClick={() => void pick()}
          >
            {files.length > 0 ? t("products.files.pick_other") : t("products.files.pick")}
          </button>
        </div>
        <div role="status">
          {noFiles && <p>{t("products.files.none")}</p>}
          {scanning && <p>{t("products.files.scanning", { n: formatNumber(files.length, lang) })}</p>}
        </div>
      </section>

      {error && <ErrorNotice error={error} />}

      {review !== null && (
        <section aria-labelledby="product-label-title">
          <h3 id="product-label-title">{t("products.label.title")}</h3>
          {choosing ? (
            <>
              <p className={relabel ? "notice notice-warning" : undefined}>
                {relabel ? t("products.label.again") : t("products.label.choose")}
              </p>
              <details className="product-scan">
                <summary>{t("products.files.scan_details")}</summary>
                <ScanResults review={review} />
              </details>
              <LabelChooser
                suggested={review.suggested}
                initial={choice}
                onNext={(chosen) => {
                  setChoice(chosen);
                  setChoosing(false);
                  setRelabel(false);
                  setError(null);
                  setTimeout(() => chosenRef.current?.focus(), 0);
                }}
              />
            </>
          ) : (
            choice !== null && (
              <div className="product-chosen">
                <p ref={chosenRef} tabIndex={-1} data-testid="product-label">
                  {t("products.label.chosen")} <LabelChip label={choice.label} />
                </p>
                {choice.overrideReason !== null && (
                  <p dir="auto">{t("products.label.reason", { reason: choice.overrideReason })}</p>
                )}
                <div className="actions">
                  <button type="button" className="secondary" disabled={working} onClick={() => setChoosing(true)}>
                    {t("products.label.change")}
                  </button>
                </div>
              </div>
            )
          )}
        </section>
      )}

      {!choosing && (
        <>
          <NoteField id="product-note" label={t("products.note_label")} value={note} onChange={setNote} />
          {!ready && (
            <p id="product-not-ready" className="hint">
              {t("products.not_ready")}
            </p>
          )}
          <div role="status">{publishing && <p>{t("products.publishing")}</p>}</div>
        </>
      )}

      <div className="actions">
        <button type="button" className="secondary" disabled={publishing} onClick={onCancel}>
          {t("products.cancel")}
        </button>
        {!choosing && (
          <button
            type="button"
            data-testid="product-publish"
            disabled={!ready || working}
            aria-describedby={ready ? undefined : "product-not-ready"}
            onClick={() => void publish()}
          >
            {t("products.publish")}
          </button>
        )}
      </div>
    </section>
  );
}
