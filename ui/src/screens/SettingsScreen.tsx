import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { MemberEntry } from "../bindings/MemberEntry";
import type { Session } from "../bindings/Session";
import { BackupForm } from "../components/BackupForm";
import { ErrorNotice } from "../components/ErrorNotice";
import { Fingerprint } from "../components/Fingerprint";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { ListState } from "../components/ListState";
import { SetupError } from "../components/SetupError";
import { useRefreshing } from "../refreshing";
// `.key-digits`: safety numbers look the same here as on the Cluster screen.
import "./cluster.css";
import "./onboarding.css";

export interface SettingsScreenProps {
  api: Pick<Api, "setRelay" | "session" | "exportBackup" | "clusterView">;
  session: Session;
  /** The session changed (e.g. the relay address): the app shows the new one. */
  onSession: (session: Session) => void;
}

/** Settings: this computer's identity and keys, the relay, a backup, checking keys, language. */
export function SettingsScreen({ api, session, onSession }: SettingsScreenProps) {
  const { t } = useTranslation();
  const card = session.card;
  return (
    <section className="screen settings setup" aria-labelledby="settings-title">
      <h1 id="settings-title">{t("screens.settings.title")}</h1>

      <section className="setup-part" aria-labelledby="settings-identity-title">
        <h2 id="settings-identity-title">{t("settings.identity.title")}</h2>
        {card === null ? (
          <p>{t("settings.identity.none")}</p>
        ) : (
          <>
            <dl className="facts">
              <dt>{t("settings.identity.name")}</dt>
              <dd data-testid="my-name">{card.name}</dd>
              <dt>{t("settings.identity.org")}</dt>
              <dd data-testid="my-org">{card.org}</dd>
              <dt>{t("settings.identity.member_id")}</dt>
              <dd>
                <code data-testid="my-member-id">{card.member_id}</code>
              </dd>
              <dt>{t("settings.identity.keys")}</dt>
              <dd data-testid="key-storage" data-storage={session.needs_passphrase ? "passphrase" : "keyring"}>
                {session.needs_passphrase ? t("settings.identity.passphrase") : t("settings.identity.keyring")}
              </dd>
            </dl>
            <Fingerprint fingerprint={card.fingerprint} label={t("settings.identity.fingerprint")} />
          </>
        )}
      </section>

      <RelaySection api={api} relay={session.cluster?.relay ?? null} onSession={onSession} />

      <section className="setup-part" aria-labelledby="settings-backup-title">
        <h2 id="settings-backup-title">{t("settings.backup.title")}</h2>
        <BackupForm api={api} />
      </section>

      <SafetyCheckSection api={api} />

      <LanguageSection />
    </section>
  );
}

interface RelaySectionProps {
  api: Pick<Api, "setRelay" | "session">;
  relay: string | null;
  onSession: (session: Session) => void;
}

/**
 * The relay in use, and a field to change it. The shell checks the address
 * (`invalid-argument` when it is not `https://host[:port]`); the refusal is said next to the
 * field, which keeps the focus. Once saved, the session is read again so the app shows it.
 */
function RelaySection({ api, relay, onSession }: RelaySectionProps) {
  const { t } = useTranslation();
  const [url, setUrl] = useState(relay ?? "");
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [sessionError, setSessionError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const fieldRef = useRef<HTMLInputElement>(null);

  function backToField() {
    setTimeout(() => {
      fieldRef.current?.focus();
      fieldRef.current?.select();
    }, 0);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setSessionError(null);
    setSaved(null);
    const text = url.trim();
    if (text === "") {
      setMissing(true);
      backToField();
      return;
    }
    setBusy(true);
    try {
      await api.setRelay(text);
    } catch (caught) {
      setBusy(false);
      setError(toApiError(caught));
      backToField();
      return;
    }
    try {
      const next = await api.session();
      setSaved(next.cluster?.relay ?? text);
      onSession(next);
    } catch (caught) {
      setSaved(text);
      setSessionError(toApiError(caught));
    }
    setBusy(false);
  }

  const invalid = missing || error !== null;
  return (
    <section className="setup-part" aria-labelledby="settings-relay-title">
      <h2 id="settings-relay-title">{t("settings.relay.title")}</h2>
      <p>{t("settings.relay.intro")}</p>
      {relay !== null ? (
        <p>
          {t("settings.relay.current")}{" "}
          <code className="path" data-testid="current-relay">
            {relay}
          </code>
        </p>
      ) : (
        <p data-testid="current-relay">{t("settings.relay.none")}</p>
      )}
      <form className="setup-form" onSubmit={(event) => void save(event)} noValidate>
        <div className="field">
          <label htmlFor="relay-url">{t("settings.relay.label")}</label>
          <input
            ref={fieldRef}
            id="relay-url"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={url}
            readOnly={busy}
            aria-invalid={invalid}
            aria-describedby={
              missing ? "relay-url-problem relay-url-hint" : error !== null ? "relay-url-error relay-url-hint" : "relay-url-hint"
            }
            onChange={(event) => {
              setUrl(event.target.value);
              setMissing(false);
            }}
          />
          {missing && (
            <p id="relay-url-problem" className="problem" role="alert">
              {t("settings.relay.missing")}
            </p>
          )}
          {error && (
            <SetupError
              id="relay-url-error"
              error={error}
              text={error.code === "invalid-argument" ? t("settings.relay.invalid") : undefined}
            />
          )}
          <p id="relay-url-hint" className="hint">
            {t("settings.relay.hint")}
          </p>
        </div>
        <div className="actions">
          <button type="submit" id="save-relay" disabled={busy}>
            {t("settings.relay.save")}
          </button>
        </div>
        <div role="status">
          {busy && <p>{t("settings.relay.busy")}</p>}
          {saved !== null && (
            <p className="notice notice-success" data-testid="relay-saved">
              {t("settings.relay.saved", { relay: saved })}
            </p>
          )}
        </div>
        {sessionError && <ErrorNotice error={sessionError} />}
      </form>
    </section>
  );
}

/** Whether a roster member is no longer in the cluster (any status other than `active`). */
const isRemoved = (member: MemberEntry) => member.status !== "active";

/**
 * Checking a member's keys: choose one of the other members, and the safety number to compare
 * with them by phone appears, as the Cluster screen shows it (the digits exactly as the shell
 * grouped them, in `code.key-digits`), with what to do. Removed members stay in the list,
 * marked as removed, so nobody takes them for a current member.
 */
function SafetyCheckSection({ api }: { api: Pick<Api, "clusterView"> }) {
  const { t } = useTranslation();
  const { data: view, error, reload } = useRefreshing(() => api.clusterView(), "settings");
  const [chosenId, setChosenId] = useState("");
  const others = view?.members.filter((member) => !member.you);
  const chosen = others?.find((member) => member.member_id === chosenId) ?? null;

  return (
    <section className="setup-part" aria-labelledby="settings-keys-title">
      <h2 id="settings-keys-title">{t("settings.keys.title")}</h2>
      <p>{t("settings.keys.intro")}</p>
      {error && (
        <>
          <ErrorNotice error={error} />
          <div className="actions">
            <button type="button" className="secondary" id="safety-retry" onClick={reload}>
              {t("common.try_again")}
            </button>
          </div>
        </>
      )}
      <ListState entries={others} error={error} empty={t("settings.keys.none")} emptyTestId="safety-none" />
      {others !== undefined && others.length > 0 && (
        <>
          <div className="field">
            <label htmlFor="safety-member">{t("settings.keys.label")}</label>
            <select id="safety-member" value={chosen?.member_id ?? ""} onChange={(event) => setChosenId(event.target.value)}>
              <option value="">{t("settings.keys.choose")}</option>
              {others.map((member) => (
                <option key={member.member_id} value={member.member_id} data-status={member.status}>
                  {isRemoved(member)
                    ? t("settings.keys.option_removed", { name: member.name, org: member.org })
                    : `${member.name} (${member.org})`}
                </option>
              ))}
            </select>
          </div>
          <div aria-live="polite">{chosen !== null && <SafetyCheck member={chosen} />}</div>
        </>
      )}
    </section>
  );
}

/** The safety number with one member and how to compare it. */
function SafetyCheck({ member }: { member: MemberEntry }) {
  const { t } = useTranslation();
  const name = member.name;
  return (
    <div className="safety" data-testid="safety-check" data-member-id={member.member_id}>
      {member.safety_number !== null ? (
        <p data-testid="safety-check-number">
          <span className="key-label">{t("settings.keys.number", { name })}</span>{" "}
          <code className="key-digits">{member.safety_number}</code>
        </p>
      ) : (
        <p className="notice notice-warning" data-testid="safety-check-none">
          {t("settings.keys.no_number", { name })}
        </p>
      )}
      {isRemoved(member) && <p className="notice">{t("settings.keys.removed", { name })}</p>}
      <ol className="todo-list">
        <li>{t("settings.keys.call", { name })}</li>
        <li>{t("settings.keys.read", { name })}</li>
        <li>{t("settings.keys.match")}</li>
        <li>
          <strong>{t("settings.keys.differs")}</strong>
        </li>
      </ol>
    </div>
  );
}

/**
 * The language of the app, as the header's switch sets it: kept for the next start
 * (`storeLanguage`), and changed at once (i18next keeps `<html lang>` in step).
 */
function LanguageSection() {
  const { t } = useTranslation();
  return (
    <section className="setup-part" aria-labelledby="settings-language-title">
      <h2 id="settings-language-title">{t("settings.language.title")}</h2>
      <p id="settings-language-intro">{t("settings.language.intro")}</p>
      <LanguageSwitch
        idPrefix="settings-language"
        labelledBy="settings-language-title"
        describedBy="settings-language-intro"
      />
    </section>
  );
}
