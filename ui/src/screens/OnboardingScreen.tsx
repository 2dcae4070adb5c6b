import type { Api } from "../api";
import type { Session } from "../bindings/Session";
import type { SyncFeed } from "../sync";
import { useTranslation } from "react-i18next";

/**
 * No identity on this computer yet. Creating or joining a cluster is not in the app yet, so
 * this says so and names the command-line steps, rather than offering buttons that do not
 * work. "Check again" asks the shell once more after the person ran them.
 */
export interface OnboardingScreenProps {
  api: Api;
  /** No card yet; or unlocked, with no cluster, a join waiting, or removed from the roster. */
  session: Session;
  feed: SyncFeed;
  /** A new session (identity created, roster arrived): the app moves on from onboarding. */
  onSession: (session: Session) => void;
}

export function OnboardingScreen({ api, onSession }: OnboardingScreenProps) {
  const onCheckAgain = () => void api.session().then(onSession, () => undefined);
  const { t } = useTranslation();
  return (
    <section className="screen onboarding" aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">{t("onboarding.title")}</h1>
      <p>{t("onboarding.intro")}</p>
      <ol className="steps-list">
        <li>
          <p>{t("onboarding.init")}</p>
          <pre>
            <code>sealpost init --name "NAME" --org "ORG"</code>
          </pre>
        </li>
        <li>
          <p>{t("onboarding.join")}</p>
          <pre>
            <code>sealpost join CODE</code>
          </pre>
          <p>{t("onboarding.coordinator")}</p>
          <pre>
            <code>sealpost cluster create --name "NAME"</code>
          </pre>
        </li>
      </ol>
      <p className="note">{t("onboarding.later")}</p>
      <div className="actions">
        <button type="button" id="check-again" onClick={onCheckAgain}>
          {t("onboarding.check_again")}
        </button>
      </div>
    </section>
  );
}
