import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { Joined } from "../bindings/Joined";
import type { Session } from "../bindings/Session";
import type { SyncStatus } from "../bindings/SyncStatus";
import { BackupForm } from "../components/BackupForm";
import { ErrorDetails, ErrorNotice, errorText } from "../components/ErrorNotice";
import { Fingerprint } from "../components/Fingerprint";
import {
  MIN_PASSPHRASE_CHARS,
  NewPassphraseFields,
  useNewPassphrase,
} from "../components/NewPassphrase";
import { SetupError } from "../components/SetupError";
import { formatDateTime, formatNumber } from "../format";
import type { SyncFeed } from "../sync";
import "./onboarding.css";

export interface OnboardingScreenProps {
  api: Api;
  /** No card yet; or unlocked, with no cluster, a join waiting, or removed from the roster. */
  session: Session;
  feed: SyncFeed;
  /** A new session (identity created, roster arrived): the app moves on from onboarding. */
  onSession: (session: Session) => void;
}

/**
 * Where a computer is on its way into the cluster, from the session: no identity yet; an
 * identity but no cluster; a join waiting for the coordinator (no roster yet); or a roster
 * that no longer lists this member.
 */
export type OnboardingStage = "create" | "join" | "waiting" | "removed";

export function onboardingStage(session: Session): OnboardingStage {
  if (session.card === null) return "create";
  const cluster = session.cluster;
  if (cluster === null) return "join";
  if (!cluster.member && cluster.roster_version !== null) return "removed";
  return "waiting";
}

/** Whether `status` reports a pass that ended since `before` (as `nextFeed` in sync.ts counts). */
function passEnded(before: SyncStatus | null, status: SyncStatus | null): boolean {
  if (status === null || status === before) return false;
  return (
    !status.running &&
    status.last_pass_at !== null &&
    (before === null || before.running || before.last_pass_at !== status.last_pass_at)
  );
}

const STEPS = ["create", "join", "approval"] as const;

/**
 * Onboarding, in the app: create an identity (or restore one from a backup), join the
 * cluster with an invite code (typed, pasted, or read from a picture of its QR code), then
 * wait for the coordinator, who compares the fingerprint by phone and approves. The app moves
 * on by itself: after every sync pass it asks the shell for the session again, and App shows
 * the screens once the roster lists this member.
 */
export function OnboardingScreen({ api, session, feed, onSession }: OnboardingScreenProps) {
  const { t } = useTranslation();
  const stage = onboardingStage(session);
  // What the join did (kept while the session catches up, and shown while waiting).
  const [joined, setJoined] = useState<Joined | null>(null);
  const [refreshError, setRefreshError] = useState<ApiError | null>(null);
  const view: OnboardingStage = stage === "join" && joined !== null ? "waiting" : stage;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  const mounted = useRef(true);
  const lastStatus = useRef<SyncStatus | null>(feed.status);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // A new stage: focus its heading, so keyboard and screen-reader users follow along.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [view]);

  function refresh() {
    api.session().then(
      (next) => {
        if (!mounted.current) return;
        setRefreshError(null);
        onSession(next);
      },
      (caught: unknown) => mounted.current && setRefreshError(toApiError(caught)),
    );
  }

  // After every finished sync pass, ask for the session again: the roster that admits (or
  // re-admits) this member arrives with a pass.
  useEffect(() => {
    const before = lastStatus.current;
    lastStatus.current = feed.status;
    if (stage !== "create" && passEnded(before, feed.status)) refresh();
  }, [feed.status, stage]);

  const title = {
    create: t("onboarding.title"),
    join: t("onboarding.join.title"),
    waiting: t("onboarding.waiting.title"),
    removed: t("onboarding.removed.title"),
  }[view];
  const fingerprint = joined?.fingerprint ?? session.card?.fingerprint ?? "";

  return (
    <section className="screen onboarding setup" aria-labelledby="onboarding-title" data-stage={view}>
      <h1 id="onboarding-title" ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      {view !== "removed" && <Steps current={view === "create" ? 0 : view === "join" ? 1 : 2} />}

      {view === "create" && <CreateStage api={api} onSession={onSession} />}

      {view === "join" && (
        <>
          <JoinStage
            api={api}
            onJoined={(result) => {
              setJoined(result);
              refresh();
            }}
          />
          <BackupSection api={api} />
        </>
      )}

      {view === "waiting" && (
        <>
          <div className="stage" data-testid="join-waiting">
            <p>{t("onboarding.waiting.intro")}</p>
            {joined !== null && <JoinedResult joined={joined} />}
            <Fingerprint fingerprint={fingerprint} />
            <h2>{t("onboarding.waiting.todo_title")}</h2>
            <ol className="todo-list">
              <li>{t("onboarding.waiting.call")}</li>
              <li>{t("onboarding.waiting.read")}</li>
              <li>{t("onboarding.waiting.wait")}</li>
            </ol>
            <CheckNow api={api} feed={feed} id="check-approval" label={t("onboarding.waiting.check")} />
          </div>
          <BackupSection api={api} />
        </>
      )}

      {view === "removed" && (
        <div className="stage" data-testid="join-removed">
          <div className="notice notice-warning">
            <p>{t("onboarding.removed.body")}</p>
            <p>{t("onboarding.removed.todo")}</p>
          </div>
          <Fingerprint fingerprint={fingerprint} label={t("onboarding.removed.fingerprint")} />
          <CheckNow api={api} feed={feed} id="check-again" label={t("onboarding.removed.check")} />
        </div>
      )}

      {refreshError && <ErrorNotice error={refreshError} />}
    </section>
  );
}

/** The three steps to start, the current one marked (in words for screen readers too). */
function Steps({ current }: { current: number }) {
  const { t } = useTranslation();
  return (
    <ol className="onboarding-steps" aria-label={t("onboarding.steps.label")}>
      {STEPS.map((step, index) => (
        <li
          key={step}
          className={index < current ? "step-done" : index === current ? "step-current" : undefined}
          aria-current={index === current ? "step" : undefined}
        >
          {t(`onboarding.steps.${step}`)}
          {index < current && <span className="visually-hidden"> {t("onboarding.steps.done")}</span>}
        </li>
      ))}
    </ol>
  );
}

/** "Back up your identity now": offered as soon as the identity exists. */
function BackupSection({ api }: { api: Pick<Api, "exportBackup"> }) {
  const { t } = useTranslation();
  return (
    <section className="setup-part" aria-labelledby="onboarding-backup-title">
      <h2 id="onboarding-backup-title">{t("onboarding.backup.title")}</h2>
      <p className="note">{t("onboarding.backup.first")}</p>
      <BackupForm api={api} />
    </section>
  );
}

/** Asks the background sync for a pass now; the feed says when it ran and whether it got through. */
function CheckNow({ api, feed, id, label }: { api: Pick<Api, "syncNow">; feed: SyncFeed; id: string; label: string }) {
  const { t, i18n } = useTranslation();
  const [asked, setAsked] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const status = feed.status;
  const running = status?.running === true;
  // "Checking…" from the press until the sync reports anything (a pass running, or its end).
  const statusAtPress = useRef<SyncStatus | null>(null);
  const checking = running || (asked && status === statusAtPress.current);

  return (
    <div className="check-now">
      <div className="actions">
        <button
          type="button"
          id={id}
          onClick={() => {
            setError(null);
            statusAtPress.current = status;
            setAsked(true);
            api.syncNow().catch((caught: unknown) => {
              setAsked(false);
              setError(toApiError(caught));
            });
          }}
        >
          {label}
        </button>
      </div>
      <div role="status" className="check-status">
        {checking && <p>{t("onboarding.waiting.checking")}</p>}
        {!checking && status?.last_pass_at && (
          <p className="note">
            {t("onboarding.waiting.last", { time: formatDateTime(status.last_pass_at, i18n.language) })}
          </p>
        )}
        {!checking && status?.online === false && <p className="note">{t("onboarding.waiting.offline")}</p>}
      </div>
      {error && <ErrorNotice error={error} />}
    </div>
  );
}

/** Whether the join request reached the relay; if not, why, and the file to hand over instead. */
function JoinedResult({ joined }: { joined: Joined }) {
  const { t } = useTranslation();
  const sent = joined.sent_to_relay;
  return (
    <div
      className={`notice ${sent ? "notice-success" : "notice-warning"}`}
      data-testid="join-result"
      data-sent={String(sent)}
      role="status"
    >
      {sent ? (
        <>
          <p className="notice-title">{t("onboarding.joined.sent_title")}</p>
          <p>{t("onboarding.joined.sent_body")}</p>
        </>
      ) : (
        <>
          <p className="notice-title">{t("onboarding.joined.not_sent_title")}</p>
          {joined.relay_error !== null ? (
            <>
              <p data-testid="relay-error" data-code={joined.relay_error.code}>
                {errorText(t, joined.relay_error.code)}
              </p>
              <ErrorDetails message={joined.relay_error.message} />
            </>
          ) : (
            joined.relay === null && <p>{t("onboarding.joined.no_relay")}</p>
          )}
          <p>{t("onboarding.joined.file")}</p>
          <p>
            <code className="path" data-testid="request-file">
              {joined.request_file}
            </code>
          </p>
        </>
      )}
    </div>
  );
}

/** Stage a: a name and organisation → new keys; a passphrase when there is no keyring; or a backup. */
function CreateStage({ api, onSession }: { api: Pick<Api, "createIdentity" | "pickBackup" | "restoreIdentity">; onSession: (session: Session) => void }) {
  const { t, i18n } = useTranslation();
  const [name, setName] = useState("");
  const [org, setOrg] = useState("");
  const [missing, setMissing] = useState<{ name: boolean; org: boolean }>({ name: false, org: false });
  // Set once the shell said there is no keyring: the passphrase fields appear.
  const [keyring, setKeyring] = useState<ApiError | null>(null);
  const entry = useNewPassphrase();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const orgRef = useRef<HTMLInputElement>(null);
  const passphraseRef = useRef<HTMLInputElement>(null);
  const againRef = useRef<HTMLInputElement>(null);
  const needsPassphrase = keyring !== null;

  // The passphrase fields appear when the shell says there is no keyring: start there.
  useEffect(() => {
    if (keyring !== null) passphraseRef.current?.focus();
  }, [keyring]);

  // After React has rendered the message, so a screen reader hears it with the field.
  const focusLater = (ref: RefObject<HTMLInputElement | null>) => setTimeout(() => ref.current?.focus(), 0);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const cleanName = name.trim();
    const cleanOrg = org.trim();
    const nowMissing = { name: cleanName === "", org: cleanOrg === "" };
    const found = needsPassphrase ? entry.check() : null;
    setMissing(nowMissing);
    if (nowMissing.name) return void focusLater(nameRef);
    if (nowMissing.org) return void focusLater(orgRef);
    if (found !== null) return void focusLater(found === "mismatch" ? againRef : passphraseRef);

    setBusy(true);
    try {
      const next = await api.createIdentity(cleanName, cleanOrg, needsPassphrase ? entry.passphrase : null);
      onSession(next);
    } catch (caught) {
      setBusy(false);
      const failure = toApiError(caught);
      if (failure.code === "keyring-unavailable" && !needsPassphrase) {
        setKeyring(failure); // the effect below focuses the new field once it is drawn
      } else {
        setError(failure);
      }
    }
  }

  return (
    <>
      <section className="setup-part" aria-labelledby="create-title">
        <h2 id="create-title">{t("onboarding.create.title")}</h2>
        <p>{t("onboarding.create.intro")}</p>
        <form className="setup-form" onSubmit={(event) => void submit(event)} noValidate>
          <div className="field">
            <label htmlFor="identity-name">{t("onboarding.create.name_label")}</label>
            <input
              ref={nameRef}
              id="identity-name"
              type="text"
              autoComplete="name"
              value={name}
              readOnly={busy}
              aria-invalid={missing.name}
              aria-describedby={missing.name ? "identity-name-problem identity-name-hint" : "identity-name-hint"}
              onChange={(event) => {
                setName(event.target.value);
                setMissing((m) => ({ ...m, name: false }));
              }}
            />
            {missing.name && (
              <p id="identity-name-problem" className="problem" role="alert">
                {t("onboarding.create.name_missing")}
              </p>
            )}
            <p id="identity-name-hint" className="hint">
              {t("onboarding.create.name_hint")}
            </p>
          </div>
          <div className="field">
            <label htmlFor="identity-org">{t("onboarding.create.org_label")}</label>
            <input
              ref={orgRef}
              id="identity-org"
              type="text"
              autoComplete="organization"
              value={org}
              readOnly={busy}
              aria-invalid={missing.org}
              aria-describedby={missing.org ? "identity-org-problem" : undefined}
              onChange={(event) => {
                setOrg(event.target.value);
                setMissing((m) => ({ ...m, org: false }));
              }}
            />
            {missing.org && (
              <p id="identity-org-problem" className="problem" role="alert">
                {t("onboarding.create.org_missing")}
              </p>
            )}
          </div>

          {keyring !== null && (
            <>
              <div className="notice notice-warning" role="alert" data-testid="keyring-unavailable">
                <p className="notice-title">{t("onboarding.create.keyring_title")}</p>
                <p>{t("onboarding.create.keyring_body")}</p>
                <ErrorDetails message={keyring.message} />
              </div>
              <NewPassphraseFields
                id="identity-passphrase"
                againId="identity-passphrase-again"
                {...entry.fields}
                hint={t("onboarding.create.passphrase_hint", { min: formatNumber(MIN_PASSPHRASE_CHARS, i18n.language) })}
                readOnly={busy}
                firstRef={passphraseRef}
                againRef={againRef}
              />
            </>
          )}

          {error && <SetupError error={error} />}
          <div className="actions">
            <button type="submit" id="create-identity" disabled={busy}>
              {t("onboarding.create.button")}
            </button>
          </div>
          {busy && <p role="status">{t("onboarding.create.busy")}</p>}
        </form>
      </section>

      <RestoreSection api={api} onSession={onSession} />
    </>
  );
}

/** Codes about the passphrase typed for a backup: the field is marked invalid and keeps the focus. */
const RESTORE_FIELD_CODES = new Set(["wrong-passphrase", "passphrase-required", "passphrase-empty", "keyring-unavailable"]);

type RestoreState = { state: "idle" } | { state: "cancelled" } | { state: "chosen"; path: string };

/** The secondary path: an identity saved on another computer, restored from its backup file. */
function RestoreSection({ api, onSession }: { api: Pick<Api, "pickBackup" | "restoreIdentity">; onSession: (session: Session) => void }) {
  const { t } = useTranslation();
  const [restore, setRestore] = useState<RestoreState>({ state: "idle" });
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const fieldRef = useRef<HTMLInputElement>(null);

  async function pick() {
    setError(null);
    let path: string | null;
    try {
      path = await api.pickBackup();
    } catch (caught) {
      setError(toApiError(caught));
      return;
    }
    if (path === null) {
      setRestore({ state: "cancelled" });
      return;
    }
    setPassphrase("");
    setRestore({ state: "chosen", path });
  }

  // A file chosen: the passphrase field appears, and the focus goes to it once it is drawn.
  useEffect(() => {
    if (restore.state === "chosen") fieldRef.current?.focus();
  }, [restore]);

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (busy || restore.state !== "chosen") return;
    setError(null);
    setBusy(true);
    try {
      const next = await api.restoreIdentity(restore.path, passphrase === "" ? null : passphrase);
      onSession(next);
    } catch (caught) {
      setBusy(false);
      const failure = toApiError(caught);
      setError(failure);
      if (RESTORE_FIELD_CODES.has(failure.code)) {
        setTimeout(() => {
          fieldRef.current?.focus();
          fieldRef.current?.select();
        }, 0);
      }
    }
  }

  const fieldError = error !== null && RESTORE_FIELD_CODES.has(error.code);
  return (
    <section className="setup-part" aria-labelledby="restore-title">
      <h2 id="restore-title">{t("onboarding.restore.title")}</h2>
      <p>{t("onboarding.restore.intro")}</p>
      {restore.state !== "chosen" && (
        <>
          <div className="actions">
            <button type="button" id="restore-backup" className="secondary" onClick={() => void pick()}>
              {t("onboarding.restore.button")}
            </button>
          </div>
          <div role="status">
            {restore.state === "cancelled" && <p className="note">{t("onboarding.restore.cancelled")}</p>}
          </div>
          {error && <SetupError error={error} />}
        </>
      )}
      {restore.state === "chosen" && (
        <form className="setup-form" onSubmit={(event) => void confirm(event)} noValidate>
          <p>
            {t("onboarding.restore.file")}{" "}
            <code className="path" data-testid="restore-file">
              {restore.path}
            </code>
          </p>
          <div className="field">
            <label htmlFor="restore-passphrase">{t("onboarding.restore.passphrase_label")}</label>
            <input
              ref={fieldRef}
              id="restore-passphrase"
              type="password"
              autoComplete="current-password"
              value={passphrase}
              readOnly={busy}
              aria-invalid={fieldError}
              aria-describedby={error !== null ? "restore-problem restore-passphrase-hint" : "restore-passphrase-hint"}
              onChange={(event) => setPassphrase(event.target.value)}
            />
            {error && (
              <SetupError
                id="restore-problem"
                error={error}
                text={error.code === "keyring-unavailable" ? t("onboarding.restore.keyring") : undefined}
              />
            )}
            <p id="restore-passphrase-hint" className="hint">
              {t("onboarding.restore.passphrase_hint")}
            </p>
          </div>
          <div className="actions">
            <button type="button" id="restore-other" className="secondary" disabled={busy} onClick={() => void pick()}>
              {t("onboarding.restore.other")}
            </button>
            <button type="submit" id="restore-confirm" disabled={busy}>
              {t("onboarding.restore.confirm")}
            </button>
          </div>
          {busy && <p role="status">{t("onboarding.restore.busy")}</p>}
        </form>
      )}
    </section>
  );
}

type ImageState = { state: "idle" } | { state: "reading" } | { state: "cancelled" } | { state: "read" };

/** Stage b: the invite code, typed or pasted, or read from a picture of its QR code. */
function JoinStage({ api, onJoined }: { api: Pick<Api, "joinCluster" | "pickImage" | "inviteFromImage">; onJoined: (joined: Joined) => void }) {
  const { t } = useTranslation();
  const [code, setCode] = useState("");
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [image, setImage] = useState<ImageState>({ state: "idle" });
  const [imageError, setImageError] = useState<ApiError | null>(null);
  const codeRef = useRef<HTMLTextAreaElement>(null);

  async function join(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const text = code.trim();
    if (text === "") {
      setMissing(true);
      setTimeout(() => codeRef.current?.focus(), 0);
      return;
    }
    setBusy(true);
    try {
      const result = await api.joinCluster(text);
      setBusy(false);
      onJoined(result);
    } catch (caught) {
      setBusy(false);
      setError(toApiError(caught));
      setTimeout(() => codeRef.current?.focus(), 0);
    }
  }

  async function fromImage() {
    setImageError(null);
    let path: string | null;
    try {
      path = await api.pickImage();
    } catch (caught) {
      setImage({ state: "idle" });
      setImageError(toApiError(caught));
      return;
    }
    if (path === null) {
      setImage({ state: "cancelled" });
      return;
    }
    setImage({ state: "reading" });
    try {
      const text = await api.inviteFromImage(path);
      setCode(text);
      setMissing(false);
      setError(null);
      setImage({ state: "read" });
      setTimeout(() => codeRef.current?.focus(), 0);
    } catch (caught) {
      setImage({ state: "idle" });
      setImageError(toApiError(caught));
    }
  }

  // Errors about the code itself are said next to the field.
  const codeError = error !== null;
  return (
    <div className="stage">
      <p>{t("onboarding.join.intro")}</p>
      <form className="setup-form" onSubmit={(event) => void join(event)} noValidate>
        <div className="field">
          <label htmlFor="invite-code">{t("onboarding.join.code_label")}</label>
          <textarea
            ref={codeRef}
            id="invite-code"
            rows={3}
            value={code}
            readOnly={busy}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-invalid={missing || codeError}
            aria-describedby={
              missing ? "invite-code-problem invite-code-hint" : codeError ? "invite-code-error invite-code-hint" : "invite-code-hint"
            }
            onChange={(event) => {
              setCode(event.target.value);
              setMissing(false);
            }}
          />
          {missing && (
            <p id="invite-code-problem" className="problem" role="alert">
              {t("onboarding.join.code_missing")}
            </p>
          )}
          {error && <SetupError id="invite-code-error" error={error} />}
          <p id="invite-code-hint" className="hint">
            {t("onboarding.join.code_hint")}
          </p>
        </div>
        <div className="actions">
          <button type="submit" id="join-cluster" disabled={busy || image.state === "reading"}>
            {t("onboarding.join.button")}
          </button>
        </div>
        {busy && <p role="status">{t("onboarding.join.busy")}</p>}
      </form>

      <section className="setup-part" aria-labelledby="invite-image-title">
        <h2 id="invite-image-title">{t("onboarding.join.image_title")}</h2>
        <p>{t("onboarding.join.image_intro")}</p>
        <div className="actions">
          <button
            type="button"
            id="invite-from-image"
            className="secondary"
            disabled={busy || image.state === "reading"}
            onClick={() => void fromImage()}
          >
            {t("onboarding.join.image_button")}
          </button>
        </div>
        <div role="status">
          {image.state === "reading" && <p>{t("onboarding.join.image_busy")}</p>}
          {image.state === "cancelled" && <p className="note">{t("onboarding.join.image_cancelled")}</p>}
          {image.state === "read" && (
            <p data-testid="invite-read">{t("onboarding.join.image_read", { button: t("onboarding.join.button") })}</p>
          )}
        </div>
        {imageError && <SetupError id="invite-image-error" error={imageError} />}
      </section>
    </div>
  );
}
