import { useTranslation } from "react-i18next";
import type { Finding } from "../bindings/Finding";
import type { Review } from "../bindings/Review";
import type { ScanReport } from "../bindings/ScanReport";
import type { SheetReport } from "../bindings/SheetReport";
import { formatNumber } from "../format";
import { LabelChip } from "./LabelChip";

/**
 * What the scan found, as Rust reported it: the suggestion for the whole send, then per file
 * the reasons (Rust's plain-language message, under a translated title per code), per sheet the
 * findings with their masked examples, and the warnings. Nothing here is judged again.
 */
export function ScanResults({ review }: { review: Review }) {
  const { t } = useTranslation();
  return (
    <div className="scan-results">
      <p className="overall" data-testid="suggested-label">
        <span>{t("send.review.overall")}: </span>
        <LabelChip label={review.suggested} />
      </p>
      {review.reports.map((report, index) => (
        <FileReport key={`${index}-${report.file}`} report={report} />
      ))}
    </div>
  );
}

function FileReport({ report }: { report: ScanReport }) {
  const { t } = useTranslation();
  return (
    <section className="file-report" aria-label={report.file}>
      <h3>
        <span className="file-name">{report.file}</span> <LabelChip label={report.suggested_label} />
      </h3>
      {!report.scanned && <p className="notice notice-warning">{t("send.review.not_scanned")}</p>}
      {report.reasons.length > 0 && (
        <>
          <h4>{t("send.review.reasons")}</h4>
          <ul className="reasons">
            {report.reasons.map((reason, index) => (
              <li key={`${index}-${reason.code}`}>
                <span className="reason-title">{t(`reason.${reason.code}`)}</span>{" "}
                <LabelChip label={reason.label} />
                <p className="reason-message" lang="en">
                  {reason.message}
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
      {report.sheets.map((sheet, index) => (
        <Sheet key={`${index}-${sheet.name}`} sheet={sheet} />
      ))}
      {report.warnings.length > 0 && (
        <>
          <h4>{t("send.review.warnings")}</h4>
          <ul className="warnings">
            {report.warnings.map((warning, index) => (
              <li key={index} lang="en">
                {warning}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Sheet({ sheet }: { sheet: SheetReport }) {
  const { t, i18n } = useTranslation();
  return (
    <div className="sheet">
      <h4>
        {t("send.review.sheet", { name: sheet.name })} <LabelChip label={sheet.label} />
      </h4>
      <p className="sheet-rows">{t("send.review.rows", { rows: formatNumber(sheet.rows, i18n.language) })}</p>
      {sheet.findings.length === 0 ? (
        <p>{t("send.review.no_findings")}</p>
      ) : (
        <ul className="findings">
          {sheet.findings.map((finding, index) => (
            <FindingItem key={`${index}-${finding.code}-${finding.column ?? ""}`} finding={finding} />
          ))}
        </ul>
      )}
    </div>
  );
}

function FindingItem({ finding }: { finding: Finding }) {
  const { t, i18n } = useTranslation();
  return (
    <li className="finding">
      <span className="reason-title">{t(`reason.${finding.code}`)}</span>
      <span>
        {finding.column === null
          ? t("send.review.whole_sheet")
          : t("send.review.column", { column: finding.column })}
      </span>
      <span>{t("send.review.count", { times: formatNumber(finding.count, i18n.language) })}</span>
      {finding.examples.length > 0 && (
        <span className="examples">
          {t("send.review.examples")}:{" "}
          {finding.examples.map((example, index) => (
            <code key={index}>{example}</code>
          ))}
        </span>
      )}
    </li>
  );
}
