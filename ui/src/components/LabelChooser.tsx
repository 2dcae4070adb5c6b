import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Label } from "../bindings/Label";
import {
  LABELS,
  MAX_REASON_CHARS,
  MIN_REASON_CHARS,
  decide,
  labelKey,
  needsReason,
  type LabelChoice,
} from "../labels";
import { formatNumber } from "../format";

export interface LabelChooserProps {
  /** The scan's suggestion (`Review.suggested`), pre-selected. */
  suggested: Label;
  /** What the sender chose before, when they come back to this step. */
  initial?: LabelChoice | null;
  /** Called with the choice when the sender presses Next (only when the choice is complete). */
  onNext: (choice: LabelChoice) => void;
  onBack?: () => void;
}

/**
 * The label step: the four labels in order, the suggestion pre-selected. A higher label is
 * free; a lower one asks why, and Next stays disabled until the reason is acceptable. Rust
 * checks the same rule again when sealing (see src/labels.ts).
 */
export function LabelChooser({ suggested, initial, onNext, onBack }: LabelChooserProps) {
  const { t, i18n } = useTranslation();
  const [chosen, setChosen] = useState<Label>(initial?.label ?? suggested);
  const [reason, setReason] = useState<string>(initial?.overrideReason ?? "");
  const [touched, setTouched] = useState(false);
  const id = useId();
  const reasonId = `${id}-reason`;
  const hintId = `${id}-hint`;
  const problemId = `${id}-problem`;
  const warningId = `${id}-warning`;

  const lower = needsReason(chosen, suggested);
  const decision = decide(chosen, suggested, reason);
  const problem = decision.ok ? null : decision.problem;
  const showProblem = lower && problem !== null && (touched || reason.length > 0);
  const suggestedName = t(`label.${labelKey(suggested)}.name`);
  const lang = i18n.language;

  return (
    <form
      className="label-chooser"
      onSubmit={(event) => {
        event.preventDefault();
        if (decision.ok) onNext(decision.choice);
      }}
    >
      <fieldset>
        <legend>{t("label_chooser.legend")}</legend>
        <div className="label-options">
          {LABELS.map((label) => {
            const key = labelKey(label);
            const optionId = `${id}-${label}`;
            return (
              <div
                key={label}
                className={`label-option label-option-${label}${chosen === label ? " selected" : ""}`}
              >
                <input
                  type="radio"
                  id={optionId}
                  name={`${id}-label`}
                  value={label}
                  checked={chosen === label}
                  onChange={() => setChosen(label)}
                  aria-describedby={`${optionId}-description`}
                />
                <label htmlFor={optionId}>
                  <span className="label-option-name">{t(`label.${key}.name`)}</span>
                  {label === suggested && (
                    <span className="suggested-mark"> ({t("label_chooser.suggested_mark")})</span>
                  )}
                </label>
                <p id={`${optionId}-description`} className="label-option-description">
                  {t(`label.${key}.description`)}
                </p>
              </div>
            );
          })}
        </div>
      </fieldset>

      {!lower && chosen !== suggested && (
        <p className="note">{t("label_chooser.higher_note")}</p>
      )}

      {lower && (
        <div className="override">
          <p id={warningId} className="notice notice-warning">
            {t("label_chooser.lower_warning", { suggested: suggestedName })}
          </p>
          <label htmlFor={reasonId}>{t("label_chooser.reason_label")}</label>
          <textarea
            id={reasonId}
            value={reason}
            required
            rows={3}
            aria-invalid={showProblem}
            aria-describedby={[warningId, hintId, showProblem ? problemId : null]
              .filter(Boolean)
              .join(" ")}
            onChange={(event) => setReason(event.target.value)}
            onBlur={() => setTouched(true)}
          />
          <p id={hintId} className="hint">
            {t("label_chooser.reason_hint", { min: formatNumber(MIN_REASON_CHARS, lang) })}
          </p>
          {showProblem && problem && (
            <p id={problemId} className="problem" role="status">
              {t(`label_chooser.problem.${problem}`, {
                min: formatNumber(MIN_REASON_CHARS, lang),
                max: formatNumber(MAX_REASON_CHARS, lang),
              })}
            </p>
          )}
        </div>
      )}

      <div className="actions">
        {onBack && (
          <button type="button" className="secondary" onClick={onBack}>
            {t("common.back")}
          </button>
        )}
        <button type="submit" id="label-next" disabled={!decision.ok}>
          {t("common.next")}
        </button>
      </div>
    </form>
  );
}
