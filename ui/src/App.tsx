import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "./api";
import type { MemberCard } from "./bindings/MemberCard";
import type { Session } from "./bindings/Session";
import { ErrorNotice } from "./components/ErrorNotice";
import { LanguageSwitch } from "./components/LanguageSwitch";
import { formatDateTime } from "./format";
import { useSyncNotifications } from "./notifications";
import { ClusterScreen } from "./screens/ClusterScreen";
import { ConcernsScreen } from "./screens/ConcernsScreen";
import { RightsScreen } from "./screens/RightsScreen";
import { InboxScreen } from "./screens/InboxScreen";
import { OnboardingScreen } from "./screens/OnboardingScreen";
import { OutboxScreen } from "./screens/OutboxScreen";
import { SendScreen } from "./screens/SendScreen";
import { SentScreen } from "./screens/SentScreen";
import { SettingsScreen } from "./screens/SettingsScreen";
import { UnlockScreen } from "./screens/UnlockScreen";
import { syncState, useSyncFeed, type SyncFeed } from "./sync";

export const SCREENS = ["send", "outbox", "inbox", "sent", "rights", "concerns", "cluster", "settings"] as const;
export type Screen = (typeof SCREENS)[number];

export interface AppProps {
  api: Api;
}

/** Where the app is before the main screens: asking the shell, or why it cannot go on. */
type Gate =
  | { state: "loading" }
  | { state: "failed"; error: ApiError }
  | { state: "ready"; session: Session };

/**
 * The shell of the app: asks Rust who this app belongs to, then shows onboarding (no
 * identity), the unlock screen (locked), or the screens. The background sync starts with the
 * unlock; its status drives the header's indicator and the lists' refreshes, and its passes the
 * desktop notifications.
 */
export function App({ api }: AppProps) {
  const { t } = useTranslation();
  const [gate, setGate] = useState<Gate>({ state: "loading" });
  const [screen, setScreen] = useState<Screen>("send");
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const justUnlocked = useRef(false);

  const loadSession = useCallback(() => {
    let live = true;
    setGate({ state: "loading" });
    api.session().then(
      (session) => live && setGate({ state: "ready", session }),
      (caught: unknown) => live && setGate({ state: "failed", error: toApiError(caught) }),
    );
    return () => {
      live = false;
    };
  }, [api]);

  useEffect(() => loadSession(), [loadSession]);

  const session = gate.state === "ready" ? gate.session : null;
  const card = session?.card ?? null;
  const unlocked = session !== null && card !== null && session.unlocked;
  // The screens need a cluster that lists this member; until then (no identity, a join
  // waiting for the coordinator, a removal) onboarding says where things stand.
  const member = unlocked && session.cluster?.member === true;
  const showSession = useCallback((next: Session) => setGate({ state: "ready", session: next }), []);
  const feed = useSyncFeed(api, unlocked);
  // Desktop notifications only once the screens that list what came are there to open.
  useSyncNotifications(api, member);

  // After a navigation, or once unlocked, put keyboard focus on the new screen.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [screen]);
  useEffect(() => {
    if (unlocked && justUnlocked.current) {
      justUnlocked.current = false;
      mainRef.current?.focus();
    }
  }, [unlocked]);

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
        {gate.state === "ready" && <Identity card={card} />}
        {unlocked && <SyncBar api={api} feed={feed} />}
        <LanguageSwitch />
      </header>
      <div className="app-body">
        {member && (
          <nav className="app-nav" aria-label={t("nav.label")}>
            <ul>
              {SCREENS.map((item) => (
                <li key={item}>
                  <button
                    type="button"
                    className="nav-item"
                    data-screen={item}
                    aria-current={item === screen ? "page" : undefined}
                    onClick={() => setScreen(item)}
                  >
                    {t(`nav.${item}`)}
                  </button>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main" className="app-main" ref={mainRef} tabIndex={-1}>
          {gate.state === "loading" && <p role="status">{t("app.loading")}</p>}
          {gate.state === "failed" && (
            <section className="screen" aria-labelledby="failed-title">
              <h1 id="failed-title">{t("app.failed")}</h1>
              <ErrorNotice error={gate.error} />
              <div className="actions">
                <button type="button" onClick={() => loadSession()}>
                  {t("common.try_again")}
                </button>
              </div>
            </section>
          )}
          {session !== null && (card === null || (unlocked && !member)) && (
            <OnboardingScreen api={api} session={session} feed={feed} onSession={showSession} />
          )}
          {session !== null && card !== null && !session.unlocked && (
            <UnlockScreen
              api={api}
              session={session}
              onUnlocked={(next) => {
                justUnlocked.current = true;
                setGate({ state: "ready", session: next });
              }}
            />
          )}
          {member && <CurrentScreen screen={screen} api={api} feed={feed} session={session} onSession={showSession} />}
        </main>
      </div>
    </div>
  );
}

interface CurrentScreenProps {
  screen: Screen;
  api: Api;
  feed: SyncFeed;
  session: Session;
  onSession: (session: Session) => void;
}

function CurrentScreen({ screen, api, feed, session, onSession }: CurrentScreenProps) {
  switch (screen) {
    case "send":
      return <SendScreen api={api} />;
    case "outbox":
      return <OutboxScreen api={api} feed={feed} />;
    case "inbox":
      return <InboxScreen api={api} feed={feed} />;
    case "sent":
      return <SentScreen api={api} feed={feed} />;
    case "rights":
      return <RightsScreen api={api} feed={feed} />;
    case "concerns":
      return <ConcernsScreen api={api} feed={feed} />;
    case "cluster":
      return <ClusterScreen api={api} session={session} feed={feed} />;
    case "settings":
      return <SettingsScreen api={api} session={session} onSession={onSession} />;
  }
}

/** The member's name and fingerprint (the digits compared by phone when checking keys). */
function Identity({ card }: { card: MemberCard | null }) {
  const { t } = useTranslation();
  return (
    <p className="identity">
      {card === null ? (
        t("header.no_identity")
      ) : (
        <>
          {t("header.identity", { name: card.name })}{" "}
          <code title={card.fingerprint}>{card.fingerprint}</code>
        </>
      )}
    </p>
  );
}

/**
 * Online, offline or syncing, from the background sync's events, and "Sync now". The
 * indicator is text with a coloured dot, never colour alone; it is a live region, so a change
 * of state is announced (progress events do not change its text).
 */
function SyncBar({ api, feed }: { api: Pick<Api, "syncNow">; feed: SyncFeed }) {
  const { t, i18n } = useTranslation();
  const [failed, setFailed] = useState<ApiError | null>(null);
  const state = syncState(feed.status);
  const last = feed.status?.last_pass_at ?? null;
  return (
    <div className="sync-bar">
      <span className={`sync-indicator sync-${state}`} data-testid="sync-indicator" data-state={state} role="status">
        <span className="sync-dot" aria-hidden="true" />
        {t(`sync.state.${state}`)}
      </span>
      {last !== null && (
        <span className="sync-last">{t("sync.last", { time: formatDateTime(last, i18n.language) })}</span>
      )}
      <button
        type="button"
        id="sync-now"
        className="secondary"
        onClick={() => {
          setFailed(null);
          api.syncNow().catch((caught: unknown) => setFailed(toApiError(caught)));
        }}
      >
        {t("sync.now")}
      </button>
      {failed && <ErrorNotice error={failed} />}
    </div>
  );
}
