import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { InboxEntry } from "../bindings/InboxEntry";
import type { OpenOutcome } from "../bindings/OpenOutcome";
import type { Queued } from "../bindings/Queued";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorDetails, ErrorNotice, errorText } from "../components/ErrorNotice";
import { INBOX_STATUSES, known, PARCEL_KINDS } from "../components/known";
import { ListState } from "../components/ListState";
import { LabelChip } from "../components/LabelChip";
import { formatDateTime, formatList, formatNumber, formatSize } from "../format";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";
import { ProductPanel, productSources, type LeftOut } from "./ProductPanel";

/** A parcel whose files are gone from this computer cannot be opened again. */
function canOpen(entry: InboxEntry): boolean {
  return entry.status !== "deleted" && entry.status !== "expired";
}

/** The parcels an information product is being made from, as they were when the panel opened. */
interface ProductDraft {
  sources: InboxEntry[];
  leftOut: LeftOut;
}

/** What the person asked to open, waiting for the confirmation of highly confidential data. */
interface OpenRequest {
  ids: string[];
  intoFolder: boolean;
}

/**
 * Parcels received, newest first: the sender (and whether the roster vouches for them), the
 * label, the note, the files. Open one, or tick several and open them together, into
 * Sealpost's own folder or a folder the person chooses. Opening highly confidential data asks
 * first, because the files are written to disk unencrypted. Each parcel gets its own line in
 * the report: one that fails never hides the others. An IMO can also publish an information
 * product made from the ticked data parcels (ProductPanel): it goes back to their senders only.
 */
export function InboxScreen({
  api,
  feed,
}: {
  api: Pick<Api, "inbox" | "openParcels" | "pickFolder" | "pickFiles" | "scanFiles" | "publishProduct">;
  feed: SyncFeed;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { data: entries, error, reload } = useRefreshing(() => api.inbox(), feed.inboxChanges);
  const [selected, setSelected] = useState<string[]>([]);
  const [confirming, setConfirming] = useState<OpenRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<OpenOutcome[] | null>(null);
  const [openError, setOpenError] = useState<ApiError | null>(null);
  const [noFolder, setNoFolder] = useState(false);
  const reportRef = useRef<HTMLHeadingElement>(null);
  const [product, setProduct] = useState<ProductDraft | null>(null);
  const [published, setPublished] = useState<Queued | null>(null);
  const productButtonRef = useRef<HTMLButtonElement>(null);
  const publishedRef = useRef<HTMLDivElement>(null);

  const byId = new Map((entries ?? []).map((entry) => [entry.parcel_id, entry]));
  const openable = (entries ?? []).filter(canOpen);
  const chosen = selected.filter((id) => byId.has(id) && canOpen(byId.get(id)!));
  // The ticked parcels in the list's order; those a product can be made from, and the others.
  const forProduct = productSources((entries ?? []).filter((entry) => chosen.includes(entry.parcel_id)));

  function startProduct() {
    setPublished(null);
    setProduct(forProduct);
  }

  function closeProduct() {
    setProduct(null);
    setTimeout(() => productButtonRef.current?.focus(), 0);
  }

  function productDone(queued: Queued) {
    const used = new Set(product?.sources.map((entry) => entry.parcel_id));
    setProduct(null);
    setPublished(queued);
    setSelected((current) => current.filter((id) => !used.has(id)));
    setTimeout(() => publishedRef.current?.focus(), 0);
  }

  function ask(request: OpenRequest) {
    setNoFolder(false);
    setOpenError(null);
    const highlyConfidential = request.ids.some((id) => byId.get(id)?.label === "highly-confidential");
    if (highlyConfidential) setConfirming(request);
    else void open(request);
  }

  async function open({ ids, intoFolder }: OpenRequest) {
    setConfirming(null);
    setBusy(true);
    try {
      let dir: string | null = null;
      if (intoFolder) {
        dir = await api.pickFolder();
        if (dir === null) {
          setNoFolder(true);
          return;
        }
      }
      const outcomes = await api.openParcels(ids, dir);
      setReport(outcomes);
      setSelected((current) => current.filter((id) => !outcomes.some((o) => o.parcel_id === id && o.opened)));
      reload();
      setTimeout(() => reportRef.current?.focus(), 0);
    } catch (caught) {
      setOpenError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  const pendingHc = confirming
    ? confirming.ids.filter((id) => byId.get(id)?.label === "highly-confidential").length
    : 0;

  return (
    <section className="screen inbox" aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t("screens.inbox.title")}</h1>
      <p>{t("inbox.intro")}</p>
      {error && <ErrorNotice error={error} />}
      {openError && <ErrorNotice error={openError} />}
      {noFolder && <p role="status">{t("inbox.no_folder")}</p>}
      {busy && <p role="status">{t("inbox.opening")}</p>}

      {report !== null && (
        <section className="open-report" aria-labelledby="open-report-title">
          <h2 id="open-report-title" ref={reportRef} tabIndex={-1}>
            {t("inbox.report.title")}
          </h2>
          <ul data-testid="open-report">
            {report.map((outcome) => (
              <ReportItem key={outcome.parcel_id} outcome={outcome} entry={byId.get(outcome.parcel_id)} />
            ))}
          </ul>
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setReport(null)}>
              {t("inbox.report.close")}
            </button>
          </div>
        </section>
      )}

      <ListState entries={entries} error={error} empty={t("inbox.empty")} emptyTestId="inbox-empty" />

      {entries !== undefined && entries.length > 0 && (
        <>
          <div className="bulk-actions actions">
            <label className="select-all">
              <input
                type="checkbox"
                id="select-all"
                checked={openable.length > 0 && chosen.length === openable.length}
                disabled={openable.length === 0}
                onChange={(event) => setSelected(event.target.checked ? openable.map((e) => e.parcel_id) : [])}
              />{" "}
              {t("inbox.select_all")}
            </label>
            <span role="status" className="selected-count">
              {t("inbox.selected", { selected: formatNumber(chosen.length, lang) })}
            </span>
            <button
              type="button"
              id="open-selected"
              disabled={chosen.length === 0 || busy}
              onClick={() => ask({ ids: chosen, intoFolder: false })}
            >
              {t("inbox.open_selected")}
            </button>
            <button
              type="button"
              id="open-selected-folder"
              className="secondary"
              disabled={chosen.length === 0 || busy}
              onClick={() => ask({ ids: chosen, intoFolder: true })}
            >
              {t("inbox.open_selected_folder")}
            </button>
            {forProduct.sources.length > 0 && (
              <button
                type="button"
                id="publish-product"
                className="secondary"
                data-testid="product-open"
                ref={productButtonRef}
                aria-expanded={product !== null}
                aria-controls={product !== null ? "product-panel" : undefined}
                disabled={busy || product !== null}
                onClick={startProduct}
              >
                {t("products.open", { n: formatNumber(forProduct.sources.length, lang) })}
              </button>
            )}
          </div>
          <div className="product-outcome" ref={publishedRef} tabIndex={-1}>
            <div role="status">
              {published !== null && (
                <p className="notice notice-success" data-testid="product-published" data-parcel-id={published.parcel_id}>
                  {published.recipients.length > 0
                    ? t("products.done", { recipients: formatList(published.recipients, lang) })
                    : t("products.done_plain")}
                </p>
              )}
            </div>
            {published !== null && (
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  onClick={() => {
                    setPublished(null);
                    publishedRef.current?.focus();
                  }}
                >
                  {t("products.close")}
                </button>
              </div>
            )}
          </div>
          {product !== null && (
            <ProductPanel
              api={api}
              sources={product.sources}
              leftOut={product.leftOut}
              onDone={productDone}
              onCancel={closeProduct}
            />
          )}
          <ul className="parcel-list">
            {entries.map((entry) => (
              <InboxRow
                key={entry.parcel_id}
                entry={entry}
                selected={chosen.includes(entry.parcel_id)}
                busy={busy}
                onSelect={(on) =>
                  setSelected((current) =>
                    on ? [...current.filter((id) => id !== entry.parcel_id), entry.parcel_id] : current.filter((id) => id !== entry.parcel_id),
                  )
                }
                onOpen={() => ask({ ids: [entry.parcel_id], intoFolder: false })}
              />
            ))}
          </ul>
        </>
      )}

      {confirming !== null && (
        <ConfirmDialog
          title={t("inbox.confirm.title")}
          confirmLabel={t("inbox.confirm.open")}
          cancelLabel={t("inbox.confirm.cancel")}
          confirmId="confirm-open"
          onConfirm={() => void open(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>
            {t("inbox.confirm.count", {
              hc: formatNumber(pendingHc, lang),
              all: formatNumber(confirming.ids.length, lang),
            })}
          </p>
          <p>{t("inbox.confirm.unencrypted")}</p>
          <p>{t("inbox.confirm.policy")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface InboxRowProps {
  entry: InboxEntry;
  selected: boolean;
  busy: boolean;
  onSelect: (on: boolean) => void;
  onOpen: () => void;
}

function InboxRow({ entry, selected, busy, onSelect, onOpen }: InboxRowProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const senderId = `inbox-${entry.parcel_id}-sender`;
  const total = entry.files.reduce((sum, file) => sum + file.size, 0);
  const openable = canOpen(entry);
  return (
    <li className={`parcel-row status-${entry.status}`} data-testid="inbox-row" data-parcel-id={entry.parcel_id}>
      <div className="row-head">
        <input
          type="checkbox"
          className="select-parcel"
          checked={selected}
          disabled={!openable}
          aria-labelledby={senderId}
          onChange={(event) => onSelect(event.target.checked)}
        />
        <p className="row-title" id={senderId}>
          <span className="person-name">{entry.sender.name}</span>{" "}
          <span className="person-org">({entry.sender.org})</span>{" "}
          <span className="visually-hidden">
            {formatDateTime(entry.received_at, lang)}
          </span>
        </p>
        {entry.sender_status === "verified" ? (
          <span className="badge badge-verified" data-testid="sender-verified">
            {t("inbox.sender.verified")}
          </span>
        ) : (
          <span className="badge badge-warning" data-testid="sender-unverified" data-sender-status={entry.sender_status}>
            {t("inbox.sender.unverified")}
          </span>
        )}
      </div>
      <p className="row-tags">
        <LabelChip label={entry.label} />{" "}
        {entry.kind !== "data" && (
          <>
            <span className="status" data-kind={entry.kind}>
              {known(t, "kind", PARCEL_KINDS, entry.kind)}
            </span>{" "}
          </>
        )}
        <span className={`status status-${entry.status}`} data-status={entry.status}>
          {known(t, "inbox.status", INBOX_STATUSES, entry.status)}
        </span>
      </p>
      {entry.note !== null && (
        <div className="parcel-note">
          <span className="note-label">{t("inbox.note")}</span>
          <p dir="auto">{entry.note}</p>
        </div>
      )}
      <p>
        {t("inbox.files", {
          files: formatNumber(entry.files.length, lang),
          size: formatSize(total, lang),
        })}
      </p>
      <ul className="file-list">
        {entry.files.map((file) => (
          <li key={file.name}>
            <span className="file-name">{file.name}</span> <span className="meta">{formatSize(file.size, lang)}</span>
          </li>
        ))}
      </ul>
      <p className="meta">
        <span>{t("inbox.received_at", { time: formatDateTime(entry.received_at, lang) })}</span>
        {entry.keep_until !== null && (
          <span>{t("inbox.keep_until", { time: formatDateTime(entry.keep_until, lang) })}</span>
        )}
      </p>
      {entry.superseded_by !== null && <p className="note">{t("inbox.superseded")}</p>}
      {entry.sender_status !== "verified" && <p className="notice notice-warning">{t("inbox.sender.warning")}</p>}
      <div className="actions">
        <button
          type="button"
          className="open-parcel"
          disabled={!openable || busy}
          aria-describedby={senderId}
          onClick={onOpen}
        >
          {t("inbox.open")}
        </button>
      </div>
    </li>
  );
}

function ReportItem({ outcome, entry }: { outcome: OpenOutcome; entry: InboxEntry | undefined }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const who = entry ? `${entry.sender.name} (${entry.sender.org})` : outcome.parcel_id;
  if (outcome.opened) {
    const opened = outcome.opened;
    return (
      <li className="report-item report-opened" data-parcel-id={outcome.parcel_id} data-outcome="opened">
        <p className="row-title">
          {who} <LabelChip label={opened.label} />
        </p>
        <p>{t("inbox.report.opened", { files: formatNumber(opened.files.length, lang) })}</p>
        <p>
          <code className="opened-dir">{opened.dir}</code>
        </p>
        {opened.managed && <p className="note">{t("inbox.report.managed")}</p>}
      </li>
    );
  }
  const code = outcome.error?.code ?? "unexpected";
  return (
    <li className="report-item report-failed" data-parcel-id={outcome.parcel_id} data-outcome="failed">
      <p className="row-title">{who}</p>
      <p className="problem">{t("inbox.report.failed", { problem: errorText(t, code) })}</p>
      <ErrorDetails message={outcome.error?.message ?? ""} />
    </li>
  );
}
