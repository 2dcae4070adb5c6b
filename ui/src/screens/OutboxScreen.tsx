import { useTranslation } from "react-i18next";
import { ApiError, type Api } from "../api";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { Transfer } from "../bindings/Transfer";
import { ErrorNotice } from "../components/ErrorNotice";
import { known, PARCEL_KINDS, PHASES } from "../components/known";
import { formatDateTime, formatList, formatNumber, formatSize, percent } from "../format";
import { ListState } from "../components/ListState";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";

/** How often the list is read again while the screen is open (upload progress moves). */
export const OUTBOX_REFRESH_MS = 2000;

/**
 * Parcels waiting to go (data, receipts, deletion requests), with how much of each the relay
 * has confirmed. Read again on every sync event and every 2 s while open.
 */
export function OutboxScreen({ api, feed }: { api: Pick<Api, "outbox">; feed: SyncFeed }) {
  const { t } = useTranslation();
  const { data: entries, error } = useRefreshing(() => api.outbox(), feed.status, OUTBOX_REFRESH_MS);
  const status = feed.status;

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

      <ListState entries={entries} error={error} empty={t("outbox.empty")} emptyTestId="outbox-empty" />
      {entries !== undefined && entries.length > 0 && (
        <ul className="parcel-list">
          {entries.map((entry) => (
            <OutboxRow key={entry.parcel_id} entry={entry} />
          ))}
        </ul>
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

function OutboxRow({ entry }: { entry: OutboxEntry }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const labelId = `outbox-${entry.parcel_id}-progress`;
  return (
    <li className="parcel-row" data-testid="outbox-row" data-parcel-id={entry.parcel_id}>
      <p className="row-title">
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
    </li>
  );
}
