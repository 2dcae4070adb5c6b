import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api } from "./api";
import type { MemberCard } from "./bindings/MemberCard";
import { LANGUAGES, storeLanguage, type Language } from "./i18n";
import { ComingNext } from "./screens/ComingNext";
import { SendScreen, type PickFiles } from "./screens/SendScreen";

export const SCREENS = ["send", "outbox", "inbox", "cluster", "settings"] as const;
export type Screen = (typeof SCREENS)[number];

export interface AppProps {
  api: Api;
  pickFiles: PickFiles;
}

export function App({ api, pickFiles }: AppProps) {
  const { t } = useTranslation();
  const [screen, setScreen] = useState<Screen>("send");
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After a navigation, put keyboard focus on the new screen.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [screen]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="app-header">
        <div className="brand">
          <span className="app-name">{t("app.name")}</span>
          <span className="tagline">{t("app.tagline")}</span>
        </div>
        <WhoAmI api={api} />
        <LanguageSwitch />
      </header>
      <div className="app-body">
        <nav className="app-nav" aria-label={t("nav.label")}>
          <ul>
            {SCREENS.map((item) => (
              <li key={item}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={item === screen ? "page" : undefined}
                  onClick={() => setScreen(item)}
                >
                  {t(`nav.${item}`)}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="app-main" ref={mainRef} tabIndex={-1}>
          {screen === "send" ? (
            <SendScreen api={api} pickFiles={pickFiles} />
          ) : (
            <ComingNext screen={screen} />
          )}
        </main>
      </div>
    </div>
  );
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const current = i18n.resolvedLanguage ?? i18n.language;
  const choose = (language: Language) => {
    storeLanguage(language);
    void i18n.changeLanguage(language);
  };
  return (
    <div className="language-switch" role="group" aria-label={t("header.language")}>
      {LANGUAGES.map((language) => (
        <button
          key={language}
          type="button"
          lang={language}
          aria-pressed={current === language}
          onClick={() => choose(language)}
        >
          {t(`language.${language}`)}
        </button>
      ))}
    </div>
  );
}

function WhoAmI({ api }: { api: Pick<Api, "whoami"> }) {
  const { t } = useTranslation();
  const [identity, setIdentity] = useState<MemberCard | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api.whoami().then(
      (found) => live && setIdentity(found),
      // Outside the app (or on a shell error) the header simply shows no identity line.
      () => live && setIdentity(undefined),
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (identity === undefined) return null;
  return (
    <p className="identity">
      {identity === null ? (
        t("header.no_identity")
      ) : (
        <>
          {t("header.identity", { name: identity.name })}{" "}
          <code title={identity.fingerprint}>{identity.fingerprint}</code>
        </>
      )}
    </p>
  );
}
