import { useTranslation } from "react-i18next";
import type { Api } from "../api";
import type { SentEntry } from "../bindings/SentEntry";
import type { SharedWith } from "../bindings/SharedWith";
import { ErrorNotice } from "../components/ErrorNotice";
import { known, RECEIPT_EVENTS, SENT_STATUSES } from "../components/known";
import { ListState } from "../components/ListState";
import { LabelChip } from "../components/LabelChip";
import { formatDateTime, formatSize } from "../format";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";

/**
 * The sharing log: every parcel this member sent, who it was shared with, and what each
 * recipient's app has signed back (delivered, opened, deleted). Read again after every sync
 * pass, which is when receipts arrive.
 */
export function SentScreen({ api, feed }: { api: Pick<Api, "sent">; feed: SyncFeed }) {
  const { t } = useTranslation();
  const { data: entries, error } = useRefreshing(() => api.sent(), feed.passes);
  return (
    <section className="screen sent" aria-labelledby="sent-title">
      <h1 id="sent-title">{t("screens.sent.title")}</h1>
      <p>{t("sent.intro")}</p>
      {error && <ErrorNotice error={error} />}
      <ListState entries={entries} error={error} empty={t("sent.empty")} emptyTestId="sent-empty" />
      {entries !== undefined && entries.length > 0 && (
        <ul className="parcel-list">
          {entries.map((entry) => (
            <SentRow key={entry.parcel_id} entry={entry} />
          ))}
        </ul>
      )}
    </section>
  );
}

function SentRow({ entry }: { entry: SentEntry }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <li className={`parcel-row status-${entry.status}`} data-testid="sent-row" data-parcel-id={entry.parcel_id}>
      <ul className="file-list row-title">
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
