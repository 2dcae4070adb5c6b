import { useState, type Ref } from "react";
import { useTranslation } from "react-i18next";
import { MIN_PASSPHRASE_CHARS } from "../bindings/limits";
import { formatNumber } from "../format";

// The fewest characters of a new passphrase (identity or backup), generated from core's
// constant, which the shell checks again. Counted in code points, as Rust counts, so Burmese is
// not penalised for its combining marks.
export { MIN_PASSPHRASE_CHARS };

export type PassphraseProblem = "empty" | "too_short" | "mismatch";

/** What is wrong with a new passphrase and its repetition, or null when both are fine. */
export function newPassphraseProblem(passphrase: string, again: string): PassphraseProblem | null {
  if (passphrase === "") return "empty";
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS) return "too_short";
  if (passphrase !== again) return "mismatch";
  return null;
}

/**
 * The state of a new passphrase typed twice, for a form with `NewPassphraseFields`: the two
 * values, the problem found at the last `check()` (cleared as soon as either field changes),
 * and `fields`, the props to spread on `NewPassphraseFields`.
 */
export function useNewPassphrase() {
  const [passphrase, setPassphrase] = useState("");
  const [again, setAgain] = useState("");
  const [problem, setProblem] = useState<PassphraseProblem | null>(null);
  return {
    passphrase,
    /** Checks the two values, shows the problem (if any) and returns it. */
    check(): PassphraseProblem | null {
      const found = newPassphraseProblem(passphrase, again);
      setProblem(found);
      return found;
    },
    /** Empties both fields (after the passphrase was used). */
    clear() {
      setPassphrase("");
      setAgain("");
    },
    fields: {
      passphrase,
      again,
      problem,
      onPassphrase: (value: string) => {
        setPassphrase(value);
        setProblem(null);
      },
      onAgain: (value: string) => {
        setAgain(value);
        setProblem(null);
      },
    },
  };
}

export interface NewPassphraseFieldsProps {
  /** The first field's id; its problem is `${id}-problem`, its hint `${id}-hint`. */
  id: string;
  /** The repeat field's id. */
  againId: string;
  passphrase: string;
  again: string;
  onPassphrase: (value: string) => void;
  onAgain: (value: string) => void;
  problem: PassphraseProblem | null;
  /** What this passphrase is for (shown under the first field). */
  hint: string;
  readOnly?: boolean;
  firstRef?: Ref<HTMLInputElement>;
  againRef?: Ref<HTMLInputElement>;
}

/**
 * A new passphrase typed twice. The problem is said under the field it concerns (a mismatch
 * under the repeat), as an alert, and the field is marked invalid and described by it.
 */
export function NewPassphraseFields(props: NewPassphraseFieldsProps) {
  const { id, againId, passphrase, again, onPassphrase, onAgain, problem, hint, readOnly, firstRef, againRef } = props;
  const { t, i18n } = useTranslation();
  const min = formatNumber(MIN_PASSPHRASE_CHARS, i18n.language);
  const firstProblem = problem === "empty" || problem === "too_short" ? problem : null;
  const againProblem = problem === "mismatch" ? problem : null;
  return (
    <>
      <div className="field">
        <label htmlFor={id}>{t("onboarding.passphrase.label")}</label>
        <input
          ref={firstRef}
          id={id}
          type="password"
          autoComplete="new-password"
          value={passphrase}
          readOnly={readOnly}
          aria-invalid={firstProblem !== null}
          aria-describedby={firstProblem !== null ? `${id}-problem ${id}-hint` : `${id}-hint`}
          onChange={(event) => onPassphrase(event.target.value)}
        />
        {firstProblem === "empty" && (
          <p id={`${id}-problem`} className="problem" role="alert">
            {t("onboarding.passphrase.empty")}
          </p>
        )}
        {firstProblem === "too_short" && (
          <p id={`${id}-problem`} className="problem" role="alert">
            {t("onboarding.passphrase.too_short", { min })}
          </p>
        )}
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      </div>
      <div className="field">
        <label htmlFor={againId}>{t("onboarding.passphrase.again_label")}</label>
        <input
          ref={againRef}
          id={againId}
          type="password"
          autoComplete="new-password"
          value={again}
          readOnly={readOnly}
          aria-invalid={againProblem !== null}
          aria-describedby={againProblem !== null ? `${againId}-problem` : undefined}
          onChange={(event) => onAgain(event.target.value)}
        />
        {againProblem !== null && (
          <p id={`${againId}-problem`} className="problem" role="alert">
            {t("onboarding.passphrase.mismatch")}
          </p>
        )}
      </div>
    </>
  );
}
