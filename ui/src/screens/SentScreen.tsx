import { useEffect, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { DeletionRequested } from "../bindings/DeletionRequested";
import type { ProductInfo } from "../bindings/ProductInfo";
import type { Queued } from "../bindings/Queued";
import type { SentEntry } from "../bindings/SentEntry";
import type { SharedWith } from "../bindings/SharedWith";
import type { SharingLogFormat } from "../bindings/SharingLogFormat";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorDetails, ErrorNotice } from "../components/ErrorNotice";
import { known, RECEIPT_EVENTS, SENT_STATUSES } from "../components/known";
import { ListState } from "../components/ListState";
import { LabelChip } from "../components/LabelChip";
import { formatDateTime, formatList, formatSize } from "../format";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";
import { CorrectionPanel } from "./CorrectionPanel";
import "./cluster.css";

/** A parcel that was cancelled or whose deletion was requested can be neither corrected nor deleted. */
export function canAct(entry: SentEntry): boolean {
  return entry.status !== "cancelled" && entry.status !== "deletion-requested";
}

/** The Correct button of a parcel's row. */
function correctButton(parcelId: string): HTMLElement | null {
  const row = [...document.querySelectorAll<HTMLElement>('[data-testid="sent-row"]')].find(
    (candidate) => candidate.dataset.parcelId === parcelId,
  );
  return row?.querySelector<HTMLElement>('[data-action="correct"]') ?? null;
}

/** What the last correction or deletion did, said above the list. */
type Outcome =
  | { kind: "corrected"; queued: Queued }
  | { kind: "deleted"; result: DeletionRequested }
  | { kind: "no-files" };

export interface SentScreenProps {
  api: Pick<Api, "sent" | "pickFiles" | "scanFiles" | "correctParcel" | "deleteParcel" | "exportSharingLog">;
  feed: SyncFeed;
}

/**
 * The sharing log: every parcel this member sent, who it was shared with, and what each
 * recipient's app has signed back (delivered, opened, deleted). Read again after every sync
 * pass, which is when receipts arrive. A parcel can be corrected (new files to the same
 * recipients) or deleted (the relay's copy, and a deletion request to every recipient). The
 * whole log can be exported as a file to keep or hand on.
 */
export function SentScreen({ api, feed }: SentScreenProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { data: entries, error, reload } = useRefreshing(() => api.sent(), feed.passes);
  const [correcting, setCorrecting] = useState<{ parcelId: string; files: string[] } | null>(null);
  const [deleting, setDeleting] = useState<SentEntry | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);

  function said(next: Outcome | null, failure: ApiError | null = null) {
    setOutcome(next);
    setActionError(failure);
    setTimeout(() => outcomeRef.current?.focus(), 0);
  }

  async function startCorrection(entry: SentEntry) {
    setOutcome(null);
    setActionError(null);
    setCorrecting(null);
    setBusy(true);
    try {
      const files = await api.pickFiles();
      if (files.length === 0) said({ kind: "no-files" });
      else setCorrecting({ parcelId: entry.parcel_id, files });
    } catch (caught) {
      said(null, toApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  async function remove(entry: SentEntry) {
    setDeleting(null);
    setOutcome(null);
    setActionError(null);
    setBusy(true);
    try {
      said({ kind: "deleted", result: await api.deleteParcel(entry.parcel_id) });
    } catch (caught) {
      said(null, toApiError(caught));
    } finally {
      setBusy(false);
      reload();
    }
  }

  return (
    <section className="screen sent" aria-labelledby="sent-title">
      <h1 id="sent-title">{t("screens.sent.title")}</h1>
      <p>{t("sent.intro")}</p>
      {error && <ErrorNotice error={error} />}
      <div className="parcel-outcome" ref={outcomeRef} tabIndex={-1}>
        <div role="status">
          {outcome !== null && (
            <p className="notice notice-success" data-testid="parcel-outcome" data-outcome={outcome.kind}>
              {outcome.kind === "no-files" && t("parcel.correction.no_files")}
              {outcome.kind === "corrected" &&
                t("parcel.correction.done", { recipients: formatList(outcome.queued.recipients, lang) })}
              {outcome.kind === "deleted" &&
                (outcome.result.request_id === null
                  ? t("parcel.deleted.cancelled")
                  : outcome.result.recipients.length > 0
                    ? t("parcel.deleted.requested", { recipients: formatList(outcome.result.recipients, lang) })
                    : t("parcel.deleted.requested_all"))}
            </p>
          )}
        </div>
        {actionError && <ErrorNotice error={actionError} />}
      </div>
      <ListState entries={entries} error={error} empty={t("sent.empty")} emptyTestId="sent-empty" />
      {entries !== undefined && entries.length > 0 && (
        <ul className="parcel-list">
          {entries.map((entry) => (
            <SentRow
              key={entry.parcel_id}
              entry={entry}
              busy={busy}
              onCorrect={() => void startCorrection(entry)}
              onDelete={() => {
                setOutcome(null);
                setActionError(null);
                setDeleting(entry);
              }}
              panel={
                correcting?.parcelId === entry.parcel_id ? (
                  <CorrectionPanel
                    api={api}
                    entry={entry}
                    files={correcting.files}
                    onCancel={() => {
                      setCorrecting(null);
                      // Back to the button that opened the panel.
                      setTimeout(() => correctButton(entry.parcel_id)?.focus(), 0);
                    }}
                    onDone={(queued) => {
                      setCorrecting(null);
                      said({ kind: "corrected", queued });
                      reload();
                    }}
                  />
                ) : null
              }
            />
          ))}
        </ul>
      )}
      {entries !== undefined && entries.length > 0 && <SharingLogExport api={api} />}

      {deleting !== null && (
        <ConfirmDialog
          title={t("parcel.delete_confirm.title")}
          confirmLabel={t("parcel.delete_confirm.confirm")}
          cancelLabel={t("parcel.delete_confirm.cancel")}
          confirmId="confirm-delete"
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        >
          <p>{t("parcel.delete_confirm.which", { files: formatList(deleting.files.map((file) => file.name), lang) })}</p>
          <p>{t("parcel.delete_confirm.relay")}</p>
          <p>{t("parcel.delete_confirm.recipients")}</p>
          <p>{t("parcel.delete_confirm.limits")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Where the last export of the sharing log got to. */
type Export =
  | { state: "idle" }
  | { state: "saving"; format: SharingLogFormat }
  | { state: "cancelled" }
  | { state: "done"; path: string }
  | { state: "failed"; error: ApiError };

const EXPORT_FORMATS: readonly SharingLogFormat[] = ["csv", "html"];

/**
 * The sharing log as a file (CSV for a spreadsheet, or an HTML page to print): the cluster
 * policy gives partners the right to know with whom their data is shared, and to keep and hand
 * on that record. The shell's save dialog chooses where; it never replaces a file.
 */
function SharingLogExport({ api }: { api: Pick<Api, "exportSharingLog"> }) {
  const { t } = useTranslation();
  const [outcome, setOutcome] = useState<Export>({ state: "idle" });
  const buttons = useRef<Partial<Record<SharingLogFormat, HTMLButtonElement | null>>>({});
  const saving = outcome.state === "saving";
  // The button was disabled while the dialog was open, which loses the keyboard focus: it is
  // given back once the render that enables it again has happened (a timer could fire before
  // that render, on a button still disabled, and the focus would stay lost).
  const [refocus, setRefocus] = useState<SharingLogFormat | null>(null);
  useEffect(() => {
    if (refocus === null || saving) return;
    buttons.current[refocus]?.focus();
    setRefocus(null);
  }, [refocus, saving]);

  async function save(format: SharingLogFormat) {
    if (saving) return;
    setOutcome({ state: "saving", format });
    let next: Export;
    try {
      const path = await api.exportSharingLog(format, t("parcel.export.save_title"));
      next = path === null ? { state: "cancelled" } : { state: "done", path };
    } catch (caught) {
      next = { state: "failed", error: toApiError(caught) };
    }
    setOutcome(next);
    // The outcome is announced by the live regions below; the focus goes back to the button.
    setRefocus(format);
  }

  return (
    <section className="sharing-log-export" aria-labelledby="export-log-title">
      <h2 id="export-log-title">{t("parcel.export.title")}</h2>
      <p id="export-log-intro">{t("parcel.export.intro")}</p>
      <div className="actions">
        {EXPORT_FORMATS.map((format) => (
          <button
            key={format}
            type="button"
            className="secondary"
            id={`export-log-${format}`}
            ref={(element) => {
              buttons.current[format] = element;
            }}
            aria-describedby="export-log-intro"
            disabled={saving}
            onClick={() => void save(format)}
          >
            {format === "csv" ? t("parcel.export.csv") : t("parcel.export.html")}
          </button>
        ))}
      </div>
      <div role="status">
        {saving && <p>{t("parcel.export.busy")}</p>}
        {outcome.state === "cancelled" && (
          <p className="note" data-testid="log-export-cancelled">
            {t("parcel.export.cancelled")}
          </p>
        )}
        {outcome.state === "done" && (
          <div className="notice notice-success" data-testid="log-exported">
            <p>{t("parcel.export.done")}</p>
            <p>
              <code className="path" data-testid="log-path">
                {outcome.path}
              </code>
            </p>
            <p>{t("parcel.export.done_advice")}</p>
          </div>
        )}
      </div>
      {outcome.state === "failed" &&
        (outcome.error.code === "file-exists" ? (
          <div className="notice notice-error" role="alert" data-testid="log-export-error" data-code="file-exists">
            <p className="notice-title">{t("errors.title")}</p>
            <p>{t("parcel.export.file_exists")}</p>
            <ErrorDetails message={outcome.error.message} />
          </div>
        ) : (
          <div data-testid="log-export-error" data-code={outcome.error.code}>
            <ErrorNotice error={outcome.error} />
          </div>
        ))}
    </section>
  );
}

interface SentRowProps {
  entry: SentEntry;
  busy: boolean;
  onCorrect: () => void;
  onDelete: () => void;
  /** The correction panel, when this parcel is being corrected (null otherwise). */
  panel: ReactNode;
}

function SentRow({ entry, busy, onCorrect, onDelete, panel }: SentRowProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const filesId = `sent-${entry.parcel_id}-files`;
  return (
    <li className={`parcel-row status-${entry.status}`} data-testid="sent-row" data-parcel-id={entry.parcel_id}>
      <ul className="file-list row-title" id={filesId}>
        {entry.files.map((file) => (
          <li key={file.name}>
            <span className="file-name">{file.name}</span> <span className="meta">{formatSize(file.size, lang)}</span>
          </li>
        ))}
      </ul>
      <p className="row-tags">
        <LabelChip label={entry.label} />{" "}
        <span className={`status status-${entry.status}`} data-status={entry.status}>
          {known(t, "sent.status", SENT_STATUSES, entry.status)}
        </span>
      </p>
      <p className="meta">
        <span>{t("sent.created_at", { time: formatDateTime(entry.created_at, lang) })}</span>
      </p>
      {entry.superseded_by !== null && <p className="note">{t("sent.superseded")}</p>}
      <h3 className="shared-title">{t("sent.shared_with")}</h3>
      <ul className="shared-with">
        {entry.recipients.map((recipient) => (
          <Recipient key={recipient.member_id} recipient={recipient} />
        ))}
      </ul>
      {entry.products.length > 0 && <Products parcelId={entry.parcel_id} products={entry.products} />}
      {canAct(entry) && (
        <div className="actions row-actions">
          <button
            type="button"
            className="secondary"
            data-action="correct"
            aria-describedby={filesId}
            disabled={busy || panel !== null}
            onClick={onCorrect}
          >
            {t("parcel.correct")}
          </button>
          <button
            type="button"
            className="secondary danger"
            data-action="delete"
            aria-describedby={filesId}
            disabled={busy}
            onClick={onDelete}
          >
            {t("parcel.delete")}
          </button>
        </div>
      )}
      {panel}
    </li>
  );
}

function Recipient({ recipient }: { recipient: SharedWith }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <li className="shared-recipient" data-member-id={recipient.member_id}>
      <span className="person-name">{recipient.name}</span> <span className="person-org">({recipient.org})</span>{" "}
      {recipient.receipts.length === 0 ? (
        <span className="no-receipt" data-testid="no-receipt">
          {t("sent.no_receipt")}
        </span>
      ) : (
        <span className="receipts">
          {recipient.receipts.map((receipt, index) => (
            <span key={`${index}-${receipt.event}`} className={`receipt receipt-${receipt.event}`} data-receipt={receipt.event}>
              {t("sent.receipt", {
                event: known(t, "sent.event", RECEIPT_EVENTS, receipt.event),
                time: formatDateTime(receipt.at, lang),
              })}
              {receipt.detail !== null && (
                <span className="receipt-detail" lang="en">
                  {" "}
                  ({receipt.detail})
                </span>
              )}
            </span>
          ))}
        </span>
      )}
    </li>
  );
}

/**
 * The information products (reports, maps, figures) an IMO published from this parcel, among
 * other sources: the cluster policy gives partners the right to the products made from their
 * data. Each one also came to this member as a parcel, which is opened from the Inbox.
 */
function Products({ parcelId, products }: { parcelId: string; products: ProductInfo[] }) {
  const { t } = useTranslation();
  const titleId = `sent-${parcelId}-products`;
  return (
    <>
      {/* A sibling of "Shared with" within the parcel's card, so the same level. */}
      <h3 className="shared-title products-title" id={titleId}>
        {t("parcel.products.title")}
      </h3>
      <ul className="shared-with product-list" data-testid="products" aria-labelledby={titleId}>
        {products.map((product) => (
          <Product key={product.parcel_id} product={product} />
        ))}
      </ul>
      <p className="note">{t("parcel.products.open_in_inbox")}</p>
    </>
  );
}

function Product({ product }: { product: ProductInfo }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <li className="product" data-testid="product" data-parcel-id={product.parcel_id}>
      <ul className="file-list">
        {product.files.map((file) => (
          <li key={file.name}>
            <span className="file-name">{file.name}</span> <span className="meta">{formatSize(file.size, lang)}</span>
          </li>
        ))}
      </ul>
      <p className="meta">
        <span data-testid="product-publisher">
          {t("parcel.products.published_by", { name: product.publisher.name, org: product.publisher.org })}
        </span>
        <span>{t("parcel.products.received_at", { time: formatDateTime(product.received_at, lang) })}</span>
      </p>
      {product.note !== null && (
        <p className="note" dir="auto" data-testid="product-note">
          {product.note}
        </p>
      )}
      <p className="row-tags">
        <LabelChip label={product.label} />
      </p>
    </li>
  );
}
