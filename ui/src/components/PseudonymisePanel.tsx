import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, toApiError, type Api } from "../api";
import type { ColumnReport } from "../bindings/ColumnReport";
import type { PseudonymPlan } from "../bindings/PseudonymPlan";
import type { PseudonymisedCopy } from "../bindings/PseudonymisedCopy";
import type { ScanReport } from "../bindings/ScanReport";
import type { SheetSummary } from "../bindings/SheetSummary";
import { formatList, formatNumber } from "../format";
import { ErrorDetails, ErrorNotice } from "./ErrorNotice";
import { LabelChip } from "./LabelChip";
import "./pseudonymise.css";

/** What the sender can choose for one column of the plan. */
export type ColumnChoice = "keep" | "pseudonymise" | "mask" | "drop";

/** In the order the panel shows them: from no change to the most removed. */
export const COLUMN_CHOICES = ["keep", "pseudonymise", "mask", "drop"] as const satisfies readonly ColumnChoice[];

/** The admin levels P-codes can be cut to (`PseudonymPlan.admin_level`), finest first. */
export const ADMIN_LEVELS = [3, 2, 1] as const;

/** Codes of `pseudonymise_file` and `import_pseudonym_key` with their own sentence here. */
const PSEUDONYMISE_ERRORS = new Set([
  "unknown-column",
  "column-conflict",
  "nothing-to-do",
  "unreadable-input",
  "no-header",
  "bad-admin-level",
  "pseudonym-key-invalid",
  "pseudonym-key-exists",
  "xlsx-write-failed",
]);

/** The `Action`s the catalogue names; a value added in Rust later is shown as it came. */
const ACTIONS = new Set(["pseudonymised", "masked", "dropped", "generalised"]);

/** The key the shell rejects with when this computer has no pseudonymisation key. */
export const KEY_MISSING = "pseudonym-key-missing";

export interface PlanColumn {
  column: string;
  suggested: ColumnChoice;
}

/** The columns a suggested plan names, each once, with what it suggests for them. */
export function planColumns(plan: PseudonymPlan): PlanColumn[] {
  const columns: PlanColumn[] = [];
  const seen = new Set<string>();
  const lists: [ColumnChoice, string[]][] = [
    ["pseudonymise", plan.pseudonymise],
    ["mask", plan.mask],
    ["drop", plan.drop],
  ];
  for (const [choice, list] of lists) {
    for (const column of list) {
      const key = column.trim().toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      columns.push({ column, suggested: choice });
    }
  }
  return columns;
}

/**
 * The plan to hand to `pseudonymiseFile`: the columns sorted by the sender's choices, the admin
 * level chosen, and the suggestion's quasi-identifiers less any dropped column (Rust refuses
 * to check k-anonymity over a column that is not in the copy).
 */
export function buildPlan(
  suggested: PseudonymPlan,
  choices: Readonly<Record<string, ColumnChoice>>,
  adminLevel: number | null,
): PseudonymPlan {
  const columns = planColumns(suggested);
  const chosen = (choice: ColumnChoice) =>
    columns.filter((c) => (choices[c.column] ?? c.suggested) === choice).map((c) => c.column);
  const drop = chosen("drop");
  const dropped = new Set(drop.map((column) => column.trim().toLowerCase()));
  return {
    pseudonymise: chosen("pseudonymise"),
    drop,
    mask: chosen("mask"),
    admin_level: adminLevel,
    quasi_identifiers: suggested.quasi_identifiers.filter((column) => !dropped.has(column.trim().toLowerCase())),
  };
}

/** Whether a plan changes anything (else Rust answers `nothing-to-do`). */
export function planDoesSomething(plan: PseudonymPlan): boolean {
  return plan.pseudonymise.length + plan.drop.length + plan.mask.length > 0 || plan.admin_level !== null;
}

/** The last part of a path, whichever separator the platform uses. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

export interface PseudonymisePanelProps {
  api: Pick<Api, "pseudonymiseFile" | "importPseudonymKey" | "pickKeyFile">;
  /** The original file. */
  path: string;
  /** What `suggestPseudonymisation` suggested for it. */
  plan: PseudonymPlan;
  /** The original's scan: its name and what was found in each column. */
  report?: ScanReport;
  /** "Send the copy instead": the copy's path and its scan. */
  onUseCopy: (path: string, scan: ScanReport) => void;
  /** "Keep the original": close the panel, nothing changes in the send. */
  onKeepOriginal: () => void;
}

type Phase = { phase: "plan" } | { phase: "making"; importing: boolean } | { phase: "preview"; copy: PseudonymisedCopy };

/**
 * The send flow's optional pseudonymise step for one file: the suggested plan per column
 * (keep, pseudonymise, mask or drop) and the admin level for P-codes; "Make the copy" asks the
 * shell for a copy in Sealpost's own folder, then shows what changed, the k-anonymity check,
 * the warnings and the copy's new suggested label, and lets the sender send the copy instead.
 * The original is never changed. Without the cluster's key it offers to import the key file
 * and tries again.
 */
export function PseudonymisePanel({ api, path, plan, report, onUseCopy, onKeepOriginal }: PseudonymisePanelProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const id = useId();
  const columns = planColumns(plan);
  const [choices, setChoices] = useState<Record<string, ColumnChoice>>(() =>
    Object.fromEntries(columns.map((c) => [c.column, c.suggested])),
  );
  const [adminLevel, setAdminLevel] = useState<number | null>(plan.admin_level);
  const [state, setState] = useState<Phase>({ phase: "plan" });
  const [error, setError] = useState<ApiError | null>(null);
  const [keyMissing, setKeyMissing] = useState(false);
  const [keyCancelled, setKeyCancelled] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const previewRef = useRef<HTMLHeadingElement>(null);
  const live = useRef(true);

  const name = report?.file ?? fileName(path);
  const current = buildPlan(plan, choices, adminLevel);
  const canMake = planDoesSomething(current) && state.phase !== "making";

  useEffect(() => {
    live.current = true;
    headingRef.current?.focus();
    return () => {
      live.current = false;
    };
  }, []);

  useEffect(() => {
    if (state.phase === "preview") previewRef.current?.focus();
  }, [state.phase]);

  async function make(importing = false) {
    setError(null);
    setKeyCancelled(false);
    setState({ phase: "making", importing });
    try {
      const copy = await api.pseudonymiseFile(path, current);
      if (!live.current) return;
      setKeyMissing(false);
      setState({ phase: "preview", copy });
    } catch (caught) {
      if (!live.current) return;
      const failure = toApiError(caught);
      if (failure.code === KEY_MISSING) setKeyMissing(true);
      else setError(failure);
      setState({ phase: "plan" });
    }
  }

  async function importKey() {
    setError(null);
    setKeyCancelled(false);
    let keyFile: string | null;
    try {
      keyFile = await api.pickKeyFile();
    } catch (caught) {
      if (live.current) setError(toApiError(caught));
      return;
    }
    if (!live.current) return;
    if (keyFile === null) {
      setKeyCancelled(true);
      return;
    }
    setState({ phase: "making", importing: true });
    try {
      await api.importPseudonymKey(keyFile);
    } catch (caught) {
      if (!live.current) return;
      setError(toApiError(caught));
      setState({ phase: "plan" });
      return;
    }
    if (live.current) await make(true);
  }

  const meaningId = (choice: ColumnChoice) => `${id}-meaning-${choice}`;
  const keepOriginal = (
    <button type="button" id="keep-original" className="secondary" onClick={onKeepOriginal}>
      {t("pseudonymise.panel.keep_original")}
    </button>
  );

  return (
    <section
      className="pseudonymise-panel"
      data-testid="pseudonymise-panel"
      data-file={path}
      aria-labelledby={`${id}-title`}
    >
      <h3 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        {t("pseudonymise.panel.title", { file: name })}
      </h3>

      {state.phase !== "preview" && (
        <form
          className="pseudonymise-plan"
          onSubmit={(event) => {
            event.preventDefault();
            if (canMake) void make();
          }}
        >
          <p>{t("pseudonymise.panel.intro")}</p>
          <p className="notice pseudonymise-where">{t("pseudonymise.panel.where")}</p>

          <h4>{t("pseudonymise.panel.meanings")}</h4>
          <dl className="pseudonymise-meanings">
            {COLUMN_CHOICES.map((choice) => (
              <div key={choice}>
                <dt>{t(`pseudonymise.choice.${choice}`)}</dt>
                <dd id={meaningId(choice)}>{t(`pseudonymise.help.${choice}`)}</dd>
              </div>
            ))}
          </dl>

          {columns.map(({ column, suggested }, index) => {
            const found = findingsFor(report, column).map((code) => t(`reason.${code}`));
            const groupName = `${id}-column-${index}`;
            return (
              <fieldset key={column} className="pseudonymise-column" data-column={column}>
                <legend>{t("pseudonymise.panel.column", { column })}</legend>
                {found.length > 0 && (
                  <p className="hint">{t("pseudonymise.panel.found", { what: formatList(found, lang) })}</p>
                )}
                <div className="pseudonymise-choices">
                  {COLUMN_CHOICES.map((choice) => {
                    const optionId = `${groupName}-${choice}`;
                    const checked = (choices[column] ?? suggested) === choice;
                    return (
                      <div key={choice} className={`pseudonymise-choice${checked ? " selected" : ""}`}>
                        <input
                          type="radio"
                          id={optionId}
                          name={groupName}
                          value={choice}
                          checked={checked}
                          disabled={state.phase === "making"}
                          aria-describedby={meaningId(choice)}
                          onChange={() => setChoices((all) => ({ ...all, [column]: choice }))}
                        />
                        <label htmlFor={optionId}>
                          {t(`pseudonymise.choice.${choice}`)}
                          {choice === suggested && (
                            <span className="suggested-mark"> ({t("pseudonymise.panel.suggested_mark")})</span>
                          )}
                        </label>
                      </div>
                    );
                  })}
                </div>
              </fieldset>
            );
          })}

          {plan.admin_level !== null && (
            <div className="field pseudonymise-admin">
              <label htmlFor="admin-level">{t("pseudonymise.panel.pcodes")}</label>
              <p id={`${id}-pcodes-help`} className="hint">
                {t("pseudonymise.panel.pcodes_help")}
              </p>
              <select
                id="admin-level"
                value={adminLevel === null ? "keep" : String(adminLevel)}
                disabled={state.phase === "making"}
                aria-describedby={`${id}-pcodes-help`}
                onChange={(event) => setAdminLevel(event.target.value === "keep" ? null : Number(event.target.value))}
              >
                <option value="keep">{t("pseudonymise.panel.admin.keep")}</option>
                {ADMIN_LEVELS.map((level) => (
                  <option key={level} value={String(level)}>
                    {t(`pseudonymise.panel.admin.level_${level}`)}
                    {level === plan.admin_level ? ` (${t("pseudonymise.panel.suggested_mark")})` : ""}
                  </option>
                ))}
              </select>
            </div>
          )}

          {current.quasi_identifiers.length > 0 && (
            <p className="hint">
              {t("pseudonymise.panel.quasi", { columns: formatList(current.quasi_identifiers, lang) })}
            </p>
          )}

          {!planDoesSomething(current) && (
            <p id={`${id}-nothing`} className="problem">
              {t("pseudonymise.panel.nothing")}
            </p>
          )}

          {keyMissing && (
            <div className="notice notice-warning" role="alert" data-testid="pseudonym-key-missing">
              <p className="notice-title">{t("pseudonymise.key.title")}</p>
              <p>{t("pseudonymise.key.body")}</p>
              <div className="actions">
                <button
                  type="button"
                  id="import-key"
                  onClick={() => void importKey()}
                  disabled={state.phase === "making"}
                >
                  {t("pseudonymise.key.import")}
                </button>
              </div>
              {keyCancelled && <p role="status">{t("pseudonymise.key.cancelled")}</p>}
            </div>
          )}

          {error && <PseudonymiseError error={error} />}

          {state.phase === "making" && (
            <p role="status">{t(state.importing ? "pseudonymise.key.importing" : "pseudonymise.panel.making")}</p>
          )}

          <div className="actions">
            {keepOriginal}
            <button
              type="submit"
              id="make-copy"
              disabled={!canMake}
              aria-describedby={planDoesSomething(current) ? undefined : `${id}-nothing`}
            >
              {t("pseudonymise.panel.make")}
            </button>
          </div>
        </form>
      )}

      {state.phase === "preview" && (
        <Preview
          copy={state.copy}
          headingRef={previewRef}
          actions={
            <div className="actions">
              {keepOriginal}
              <button type="button" id="change-plan" className="secondary" onClick={() => {
                  setState({ phase: "plan" });
                  headingRef.current?.focus();
                }}
              >
                {t("pseudonymise.preview.change")}
              </button>
              <button
                type="button"
                id="use-copy"
                onClick={() => onUseCopy(state.copy.path, state.copy.report.scan)}
              >
                {t("pseudonymise.preview.use_copy")}
              </button>
            </div>
          }
        />
      )}
    </section>
  );
}

/** The reason codes the scan found in a column (a GPS finding names two: `lat / lon`). */
function findingsFor(report: ScanReport | undefined, column: string): string[] {
  const wanted = column.trim().toLowerCase();
  const codes: string[] = [];
  for (const sheet of report?.sheets ?? []) {
    for (const finding of sheet.findings) {
      const named = (finding.column ?? "").split(" / ").map((part) => part.trim().toLowerCase());
      if (named.includes(wanted) && !codes.includes(finding.code)) codes.push(finding.code);
    }
  }
  return codes;
}

interface PreviewProps {
  copy: PseudonymisedCopy;
  headingRef: RefObject<HTMLHeadingElement | null>;
  actions: ReactNode;
}

/** What changed in the copy: warnings first, then the label before and after, per column. */
function Preview({ copy, headingRef, actions }: PreviewProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { report } = copy;
  const flagged = report.sheets.filter((sheet) => sheet.k_anonymity !== null && sheet.k_anonymity.groups_below_k > 0);
  const checked = report.sheets.filter((sheet) => sheet.k_anonymity !== null && sheet.k_anonymity.groups_below_k === 0);

  return (
    <div className="pseudonymise-preview" data-testid="pseudonymise-preview">
      <h4 ref={headingRef} tabIndex={-1}>
        {t("pseudonymise.preview.title")}
      </h4>

      {flagged.map((sheet, index) => {
        const k = sheet.k_anonymity!;
        return (
          <div key={`${index}-${sheet.name}`} className="notice notice-warning k-warning" data-testid="k-anonymity-warning">
            <p className="notice-title">{t("pseudonymise.preview.k_title")}</p>
            <p>
              {t("pseudonymise.preview.k_warning", {
                rows: formatNumber(k.rows_below_k, lang),
                columns: formatList(k.columns, lang),
                k: formatNumber(k.k, lang),
                groups: formatNumber(k.groups_below_k, lang),
              })}
            </p>
          </div>
        );
      })}

      {report.warnings.length > 0 && (
        <div className="notice notice-warning" data-testid="pseudonymise-warnings">
          <p className="notice-title">{t("pseudonymise.preview.warnings")}</p>
          <ul className="warnings">
            {report.warnings.map((warning, index) => (
              <li key={index} lang="en">
                {warning}
              </li>
            ))}
          </ul>
        </div>
      )}

      {checked.map((sheet, index) => (
        <p key={`${index}-${sheet.name}`} className="k-ok" data-testid="k-anonymity-ok">
          {t("pseudonymise.preview.k_ok", {
            columns: formatList(sheet.k_anonymity!.columns, lang),
            k: formatNumber(sheet.k_anonymity!.k, lang),
          })}
        </p>
      ))}

      <p className="label-change" data-testid="label-change">
        <span className="label-change-title">{t("pseudonymise.preview.label")}</span>{" "}
        <span className="label-before" data-testid="label-before">
          {t("pseudonymise.preview.label_before")} <LabelChip label={report.label_before} />
        </span>{" "}
        <span aria-hidden="true">→</span>{" "}
        <span className="label-after" data-testid="label-after">
          {t("pseudonymise.preview.label_after")} <LabelChip label={report.scan.suggested_label} />
        </span>
      </p>

      {report.sheets.map((sheet, index) => (
        <SheetTable key={`${index}-${sheet.name}`} sheet={sheet} />
      ))}

      {report.scan.reasons.length > 0 ? (
        <>
          <h5>{t("pseudonymise.preview.still_found")}</h5>
          <ul className="reasons" data-testid="copy-reasons">
            {report.scan.reasons.map((reason, index) => (
              <li key={`${index}-${reason.code}`}>
                <span className="reason-title">{t(`reason.${reason.code}`)}</span> <LabelChip label={reason.label} />
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p data-testid="copy-reasons">{t("pseudonymise.preview.nothing_found")}</p>
      )}

      <div className="notice pseudonymise-where">
        <p>{t("pseudonymise.preview.where")}</p>
        <p>
          <code className="copy-path" data-testid="copy-path">
            {copy.path}
          </code>
        </p>
        <p>{t("pseudonymise.preview.original")}</p>
      </div>

      {actions}
    </div>
  );
}

function SheetTable({ sheet }: { sheet: SheetSummary }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <div className="pseudonymise-table">
      <table>
        <caption>{t("pseudonymise.preview.sheet", { name: sheet.name, rows: formatNumber(sheet.rows, lang) })}</caption>
        <thead>
          <tr>
            <th scope="col">{t("pseudonymise.preview.column")}</th>
            <th scope="col">{t("pseudonymise.preview.done")}</th>
            <th scope="col">{t("pseudonymise.preview.changed")}</th>
            <th scope="col">{t("pseudonymise.preview.left_alone")}</th>
          </tr>
        </thead>
        <tbody>
          {sheet.columns.map((column, index) => (
            <tr key={`${index}-${column.column}`} data-column={column.column} data-column-action={column.action}>
              <th scope="row">{column.column}</th>
              <td>
                <ActionText column={column} />
              </td>
              <td className="count">{formatNumber(column.changed, lang)}</td>
              <td className="count">{formatNumber(column.left_alone, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ActionText({ column }: { column: ColumnReport }) {
  const { t } = useTranslation();
  // `admin_level` is left out of the JSON when there is none.
  const level = column.admin_level ?? null;
  if (column.action === "generalised" && level !== null && (ADMIN_LEVELS as readonly number[]).includes(level)) {
    return <>{t("pseudonymise.preview.generalised_to", { level: t(`pseudonymise.preview.level.level_${level}`) })}</>;
  }
  return <>{ACTIONS.has(column.action) ? t(`pseudonymise.preview.action.${column.action}`) : column.action}</>;
}

/** An error of this step in the reader's language; any other code as the app says it. */
export function PseudonymiseError({ error }: { error: ApiError }) {
  const { t } = useTranslation();
  if (!PSEUDONYMISE_ERRORS.has(error.code)) return <ErrorNotice error={error} />;
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{t("errors.title")}</p>
      <p>{t(`pseudonymise.errors.${error.code}`)}</p>
      <ErrorDetails message={error.message} />
    </div>
  );
}
