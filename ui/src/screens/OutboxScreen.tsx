import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, toApiError, type Api } from "../api";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { Transfer } from "../bindings/Transfer";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { known, PARCEL_KINDS, PHASES } from "../components/known";
import { formatDateTime, formatList, formatNumber, formatSize, percent } from "../format";
import { ListState } from "../components/ListState";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";
import "./cluster.css";

/** How often the list is read again while the screen is open (upload progress moves). */
export const OUTBOX_REFRESH_MS = 2000;

/** Only a data parcel this member sealed can be cancelled (receipts and deletion requests cannot). */
export function canCancel(entry: OutboxEntry): boolean {
  return entry.kind === "data";
}

/** What the last Retry or Cancel did. */
type Outcome = "retrying" | "cancelled" | "too-late";

export interface OutboxScreenProps {
  api: Pick<Api, "outbox" | "syncNow" | "deleteParcel">;
  feed: SyncFeed;
}

/**
 * Parcels waiting to go (data, receipts, deletion requests), with how much of each the relay
 * has confirmed. Read again on every sync event and every 2 s while open. "Retry now" asks the
 * background sync for a pass; "Cancel" takes a data parcel out before anyone received it.
 */
export function OutboxScreen({ api, feed }: OutboxScreenProps) {
  const { t, i18n } = useTranslation();
  const { data: entries, error, reload } = useRefreshing(() => api.outbox(), feed.status, OUTBOX_REFRESH_MS);
  const status = feed.status;
  const [cancelling, setCancelling] = useState<OutboxEntry | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);

  async function act(action: () => Promise<Outcome>, moveFocus: boolean) {
    setBusy(true);
    setOutcome(null);
    setActionError(null);
    try {
      setOutcome(await action());
    } catch (caught) {
      setActionError(toApiError(caught));
    } finally {
      setBusy(false);
      reload();
      // A cancelled row goes away with its buttons: the focus goes to what happened.
      if (moveFocus) setTimeout(() => outcomeRef.current?.focus(), 0);
    }
  }

  const retry = () =>
    void act(async () => {
      await api.syncNow();
      return "retrying";
    }, false);

  const cancel = (entry: OutboxEntry) => {
    setCancelling(null);
    void act(async () => {
      const result = await api.deleteParcel(entry.parcel_id);
      // The upload may have finished meanwhile: then the recipients are asked to delete it.
      return result.request_id === null ? "cancelled" : "too-late";
    }, true);
  };

  return (
    <section className="screen outbox" aria-labelledby="outbox-title">
      <h1 id="outbox-title">{t("screens.outbox.title")}</h1>
      <p>{t("outbox.intro")}</p>

      {status?.running && status.transfer && <CurrentTransfer transfer={status.transfer} />}
      {status?.online === false && !status.running && (
        <p className="notice notice-warning">{t("outbox.offline")}</p>
      )}
      {status?.error && <ErrorNotice error={new ApiError(status.error.code, status.error.message)} />}
      {error && <ErrorNotice error={error} />}

      <div className="parcel-outcome" ref={outcomeRef} tabIndex={-1}>
        <div role="status">
          {outcome !== null && (
            <p className="notice notice-success" data-testid="outbox-outcome" data-outcome={outcome}>
              {outcome === "retrying" && t("parcel.retrying")}
              {outcome === "cancelled" && t("parcel.cancelled")}
              {outcome === "too-late" && t("parcel.too_late")}
            </p>
          )}
        </div>
        {actionError && <ErrorNotice error={actionError} />}
      </div>

      <ListState entries={entries} error={error} empty={t("outbox.empty")} emptyTestId="outbox-empty" />
      {entries !== undefined && entries.length > 0 && (
        <ul className="parcel-list">
          {entries.map((entry) => (
            <OutboxRow
              key={entry.parcel_id}
              entry={entry}
              busy={busy}
              onRetry={retry}
              onCancel={() => {
                setOutcome(null);
                setActionError(null);
                setCancelling(entry);
              }}
            />
          ))}
        </ul>
      )}

      {cancelling !== null && (
        <ConfirmDialog
          title={t("parcel.cancel_confirm.title")}
          confirmLabel={t("parcel.cancel_confirm.confirm")}
          cancelLabel={t("parcel.cancel_confirm.keep")}
          confirmId="confirm-cancel"
          onConfirm={() => cancel(cancelling)}
          onCancel={() => setCancelling(null)}
        >
          <p>{t("outbox.to", { recipients: formatList(cancelling.recipients, i18n.language) })}</p>
          <p>{t("parcel.cancel_confirm.body")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function CurrentTransfer({ transfer }: { transfer: Transfer }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <div className="current-transfer" data-testid="current-transfer">
      <p id="current-transfer-label">
        {t("outbox.transfer", {
          phase: known(t, "phase", PHASES, transfer.phase),
          done: formatSize(transfer.done, lang),
          total: formatSize(transfer.total, lang),
        })}
      </p>
      <progress
        max={Math.max(transfer.total, 1)}
        value={Math.min(transfer.done, transfer.total)}
        aria-labelledby="current-transfer-label"
      />
    </div>
  );
}

interface OutboxRowProps {
  entry: OutboxEntry;
  busy: boolean;
  onRetry: () => void;
  onCancel: () => void;
}

function OutboxRow({ entry, busy, onRetry, onCancel }: OutboxRowProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const labelId = `outbox-${entry.parcel_id}-progress`;
  const titleId = `outbox-${entry.parcel_id}-title`;
  return (
    <li className="parcel-row" data-testid="outbox-row" data-parcel-id={entry.parcel_id}>
      <p className="row-title" id={titleId}>
        <span className="kind">{known(t, "kind", PARCEL_KINDS, entry.kind)}</span>{" "}
        <code className="parcel-id" title={entry.parcel_id}>
          {entry.parcel_id}
        </code>
      </p>
      <p>{t("outbox.to", { recipients: formatList(entry.recipients, lang) })}</p>
      {entry.about !== null && (
        <p className="note">
          {t("outbox.about")} <code>{entry.about}</code>
        </p>
      )}
      <p id={labelId}>
        {t("outbox.progress", {
          done: formatSize(entry.confirmed, lang),
          total: formatSize(entry.size, lang),
          percent: formatNumber(percent(entry.confirmed, entry.size), lang),
        })}
      </p>
      <progress max={Math.max(entry.size, 1)} value={Math.min(entry.confirmed, entry.size)} aria-labelledby={labelId} />
      <p className="meta">
        <span>{t("outbox.queued_at", { time: formatDateTime(entry.queued_at, lang) })}</span>
        <span>{t("outbox.attempts", { attempts: formatNumber(entry.attempts, lang) })}</span>
      </p>
      {entry.last_error !== null && (
        <p className="problem">
          {t("outbox.last_error")} <span lang="en">{entry.last_error}</span>
        </p>
      )}
      <div className="actions row-actions">
        <button
          type="button"
          className="secondary"
          data-action="retry"
          aria-describedby={titleId}
          disabled={busy}
          onClick={onRetry}
        >
          {t("parcel.retry")}
        </button>
        {canCancel(entry) && (
          <button
            type="button"
            className="secondary danger"
            data-action="cancel"
            aria-describedby={titleId}
            disabled={busy}
            onClick={onCancel}
          >
            {t("parcel.cancel")}
          </button>
        )}
      </div>
    </li>
  );
}
