import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, toApiError, type Api } from "../api";
import type { Review } from "../bindings/Review";
import { ErrorNotice } from "../components/ErrorNotice";
import { LabelChip } from "../components/LabelChip";
import { LabelChooser } from "../components/LabelChooser";
import { ScanResults } from "../components/ScanResults";
import { formatNumber } from "../format";
import type { LabelChoice } from "../labels";

/** Asks the sender for files; resolves to their paths ([] when they cancel). */
export type PickFiles = () => Promise<string[]>;

type Step =
  | { step: "pick" }
  | { step: "scanning"; paths: string[] }
  | { step: "review"; paths: string[]; review: Review; choice: LabelChoice | null }
  | { step: "label"; paths: string[]; review: Review; choice: LabelChoice | null }
  | { step: "done"; paths: string[]; review: Review; choice: LabelChoice };

const STEP_ORDER = ["pick", "review", "label", "done"] as const;

export interface SendScreenProps {
  api: Pick<Api, "scanFiles">;
  pickFiles: PickFiles;
}

/** Send, first steps: pick files → what the scan found → label. Recipients and sending come next. */
export function SendScreen({ api, pickFiles }: SendScreenProps) {
  const { t, i18n } = useTranslation();
  const [state, setState] = useState<Step>({ step: "pick" });
  const [error, setError] = useState<ApiError | null>(null);
  const [noFiles, setNoFiles] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  const lang = i18n.language;

  // Move focus to the new step's heading so keyboard and screen-reader users follow along.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [state.step]);

  async function choose() {
    setError(null);
    setNoFiles(false);
    let paths: string[];
    try {
      paths = await pickFiles();
    } catch (caught) {
      setError(toApiError(caught));
      return;
    }
    if (paths.length === 0) {
      setNoFiles(true);
      return;
    }
    setState({ step: "scanning", paths });
    try {
      const review = await api.scanFiles(paths);
      setState({ step: "review", paths, review, choice: null });
    } catch (caught) {
      setError(toApiError(caught));
      setState({ step: "pick" });
    }
  }

  const visibleStep = state.step === "scanning" ? "pick" : state.step;
  const current = STEP_ORDER.indexOf(visibleStep) + 1;

  return (
    <section className="screen send" aria-labelledby="send-title">
      <h1 id="send-title">{t("send.title")}</h1>
      <h2 ref={headingRef} tabIndex={-1} className="step-heading">
        {t("send.step", {
          current: formatNumber(current, lang),
          total: formatNumber(STEP_ORDER.length, lang),
          name: t(`send.steps.${visibleStep}`),
        })}
      </h2>

      {error && <ErrorNotice error={error} />}

      {(state.step === "pick" || state.step === "scanning") && (
        <div className="step-pick">
          <p>{t("send.pick.intro")}</p>
          <div className="actions">
            <button type="button" onClick={() => void choose()} disabled={state.step === "scanning"}>
              {t("send.pick.button")}
            </button>
          </div>
          {state.step === "scanning" && (
            <p role="status">{t("send.pick.scanning", { files: formatNumber(state.paths.length, lang) })}</p>
          )}
          {noFiles && <p role="status">{t("send.pick.none")}</p>}
        </div>
      )}

      {state.step === "review" && (
        <div className="step-review">
          <ScanResults review={state.review} />
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setState({ step: "pick" })}>
              {t("common.back")}
            </button>
            <button type="button" onClick={() => setState({ ...state, step: "label" })}>
              {t("common.next")}
            </button>
          </div>
        </div>
      )}

      {state.step === "label" && (
        <div className="step-label">
          <p>
            {t("send.review.suggested")}: <LabelChip label={state.review.suggested} />
          </p>
          <LabelChooser
            suggested={state.review.suggested}
            initial={state.choice}
            onBack={() => setState({ ...state, step: "review" })}
            onNext={(choice) => setState({ ...state, step: "done", choice })}
          />
        </div>
      )}

      {state.step === "done" && (
        <div className="step-done">
          <p>
            {t("send.done.label")}:{" "}
            <LabelChip label={state.choice.label} />
          </p>
          {state.choice.overrideReason !== null && (
            <p>{t("send.done.override", { reason: state.choice.overrideReason })}</p>
          )}
          <p className="notice">{t("send.done.coming")}</p>
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setState({ ...state, step: "label" })}>
              {t("common.back")}
            </button>
            <button type="button" className="secondary" onClick={() => setState({ step: "pick" })}>
              {t("common.start_over")}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
