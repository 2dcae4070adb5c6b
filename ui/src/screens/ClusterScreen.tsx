import { useId, useRef, useState, type FormEvent, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { toApiError, type Api, type ApiError } from "../api";
import type { InviteSummary } from "../bindings/InviteSummary";
import type { MemberEntry } from "../bindings/MemberEntry";
import type { NewInvite } from "../bindings/NewInvite";
import type { PendingRequest } from "../bindings/PendingRequest";
import type { RosterChanged } from "../bindings/RosterChanged";
import type { Session } from "../bindings/Session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorDetails, ErrorNotice, errorText } from "../components/ErrorNotice";
import { ListState } from "../components/ListState";
import { RoleList } from "../components/RoleList";
import { MIN_PASSPHRASE_CHARS, NewPassphraseFields, useNewPassphrase } from "../components/NewPassphrase";
import { formatDateTime, formatNumber } from "../format";
import { useRefreshing } from "../refreshing";
import type { SyncFeed } from "../sync";
import "./cluster.css";

export interface ClusterScreenProps {
  api: Api;
  session: Session;
  feed: SyncFeed;
}

/** The roles an invite can grant (`Role` in crates/format/src/roster.rs), the default first. */
export const INVITE_ROLES = ["partner", "imo", "coordinator"] as const;
/** How long a new invite works unless the coordinator says otherwise, and the range offered. */
export const INVITE_DAYS_DEFAULT = 7;
export const INVITE_DAYS_MIN = 1;
export const INVITE_DAYS_MAX = 30;

/**
 * How a coordinator recovers a member's parcels with the recovery key: offline, from the command
 * line (docs/rights.md, "Key loss and recovery"). A command, so never translated.
 */
export const RECOVER_COMMAND =
  'sealpost cluster recover --recovery-key cluster-recovery.age --from "/path/to/their data dir/vault" -o recovered/';

/** What the last coordinator action did, said at the top of the screen. */
type Outcome =
  | { kind: "changed"; changed: RosterChanged }
  | { kind: "rejected"; name: string }
  /** The save dialog for a new recovery key was closed: nothing was made, nothing changed. */
  | { kind: "recovery-cancelled" };

/** Whether an RFC 3339 time is in the past (text that is not a time is not). */
function isPast(text: string): boolean {
  const time = new Date(text).getTime();
  return !Number.isNaN(time) && time < Date.now();
}

/**
 * The cluster: its name, roster version and expiry, and every member with their fingerprint
 * and (for others) the safety number to compare by phone. The coordinator also gets the tools:
 * invites, the requests waiting for approval, removals, and publishing the roster again. Every
 * change that makes a new roster version says the version and whether the relay has it.
 */
export function ClusterScreen({ api, session, feed }: ClusterScreenProps) {
  const { t } = useTranslation();
  const coordinator = session.cluster?.coordinator === true;
  // Read again after every sync pass (a new roster arrives in a pass) and after every change.
  const [changes, setChanges] = useState(0);
  const { data: view, error } = useRefreshing(() => api.clusterView(), `${feed.passes}-${changes}`);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<MemberEntry | null>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);

  /** Runs one coordinator action, says what it did (or why not), and reads everything again. */
  async function run(action: () => Promise<Outcome>) {
    setBusy(true);
    setActionError(null);
    setOutcome(null);
    try {
      setOutcome(await action());
    } catch (caught) {
      setActionError(toApiError(caught));
    } finally {
      setBusy(false);
      setChanges((n) => n + 1);
      // The button pressed may be gone (an approved request, a removed member): the focus
      // goes to what happened.
      setTimeout(() => outcomeRef.current?.focus(), 0);
    }
  }

  const changeRoster = (action: () => Promise<RosterChanged>) =>
    void run(async () => ({ kind: "changed", changed: await action() }));

  /** Makes the recovery key (the shell asks where to save it); `onMade` once it is named. */
  const createRecoveryKey = (passphrase: string, onMade: () => void) =>
    void run(async () => {
      const changed = await api.createRecoveryKey(passphrase, t("cluster.recovery.save_title"));
      if (changed === null) return { kind: "recovery-cancelled" };
      onMade();
      return { kind: "changed", changed };
    });

  const publishInOutcome = outcome?.kind === "changed" && outcome.changed.publish_error !== null;

  return (
    <section className="screen cluster" aria-labelledby="cluster-title">
      <h1 id="cluster-title">{t("screens.cluster.title")}</h1>
      <p>{t("cluster.intro")}</p>

      {error && <ErrorNotice error={error} />}
      {view !== undefined && (
        <Summary
          name={view.name}
          version={view.version}
          expiresAt={view.expires_at}
          recoveryKey={view.recovery_key}
          rightsResponseDays={view.rights_response_days}
        />
      )}

      {coordinator && (
        <div className="cluster-outcome" ref={outcomeRef} tabIndex={-1} data-testid="cluster-outcome">
          <div role="status">
            {busy && <p>{t("cluster.working")}</p>}
            {outcome?.kind === "rejected" && <p className="notice">{t("cluster.requests.rejected", { name: outcome.name })}</p>}
            {outcome?.kind === "recovery-cancelled" && (
              <p className="note" data-testid="recovery-key-cancelled">
                {t("cluster.recovery.cancelled")}
              </p>
            )}
            {outcome?.kind === "changed" && <ChangedNotice changed={outcome.changed} />}
          </div>
          {actionError && <ErrorNotice error={actionError} />}
          {publishInOutcome && (
            <div className="actions">
              <PublishButton busy={busy} onPublish={() => changeRoster(() => api.publishRoster())} />
            </div>
          )}
        </div>
      )}

      <section className="cluster-members" aria-labelledby="members-title">
        <h2 id="members-title">{t("cluster.members.title")}</h2>
        <p>{t("cluster.members.intro")}</p>
        <ListState
          entries={view?.members}
          error={error}
          empty={t("cluster.members.empty")}
          emptyTestId="members-empty"
        />
        {view !== undefined && view.members.length > 0 && (
          <MembersTable members={view.members} coordinator={coordinator} busy={busy} onRemove={setRemoving} />
        )}
      </section>

      {coordinator && (
        <CoordinatorTools
          api={api}
          trigger={`${feed.passes}-${changes}`}
          busy={busy}
          showPublish={!publishInOutcome}
          onApprove={(request) => changeRoster(() => api.approveRequest(request.id))}
          onReject={(request) =>
            void run(async () => {
              await api.rejectRequest(request.id);
              return { kind: "rejected", name: request.name ?? t("cluster.requests.unknown_name") };
            })
          }
          onPublish={() => changeRoster(() => api.publishRoster())}
        />
      )}

      {coordinator && view !== undefined && (
        <RecoveryKeySection
          recoveryKey={view.recovery_key}
          busy={busy}
          onCreate={createRecoveryKey}
          onRemove={() => changeRoster(() => api.removeRecoveryKey())}
        />
      )}

      {removing !== null && (
        <ConfirmDialog
          title={t("cluster.remove.title", { name: removing.name })}
          confirmLabel={t("cluster.remove.confirm", { name: removing.name })}
          cancelLabel={t("cluster.remove.cancel")}
          confirmId="confirm-remove"
          onConfirm={() => {
            const memberId = removing.member_id;
            setRemoving(null);
            changeRoster(() => api.removeMember(memberId));
          }}
          onCancel={() => setRemoving(null)}
        >
          <p>{t("cluster.remove.roster", { name: removing.name })}</p>
          <p>{t("cluster.remove.kept")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface SummaryProps {
  name: string;
  version: number;
  expiresAt: string;
  recoveryKey: string | null;
  rightsResponseDays: number;
}

function Summary({ name, version, expiresAt, recoveryKey, rightsResponseDays }: SummaryProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const time = formatDateTime(expiresAt, lang);
  const recovery = recoveryKey !== null;
  return (
    <div className="cluster-summary" data-testid="cluster-summary" data-version={version}>
      <p className="row-title">{t("cluster.summary.name", { name })}</p>
      <p className="meta">
        <span data-testid="roster-version">{t("cluster.summary.version", { version: formatNumber(version, lang) })}</span>
        <span>{t("cluster.summary.expires", { time })}</span>
      </p>
      {isPast(expiresAt) && <p className="notice notice-warning">{t("cluster.summary.expired", { time })}</p>}
      <p
        className={`recovery-status recovery-${recovery ? "on" : "off"}`}
        data-testid="cluster-recovery-status"
        data-recovery={recovery ? "on" : "off"}
      >
        {recovery ? t("cluster.summary.recovery_on") : t("cluster.summary.recovery_off")}
      </p>
      <p data-testid="rights-response-days">
        {t("cluster.summary.rights_days", {
          count: rightsResponseDays,
          number: formatNumber(rightsResponseDays, lang),
        })}
      </p>
    </div>
  );
}

/** A new roster version: which, for whom, and whether the relay has it. */
function ChangedNotice({ changed }: { changed: RosterChanged }) {
  const { t, i18n } = useTranslation();
  const values = { name: changed.name, version: formatNumber(changed.version, i18n.language), what: changed.what };
  let text: string;
  switch (changed.what) {
    case "joined":
      text = t("cluster.changed.joined", values);
      break;
    case "keys-changed":
      text = t("cluster.changed.keys_changed", values);
      break;
    case "removed":
      text = t("cluster.changed.removed", values);
      break;
    case "published":
      text = t("cluster.changed.published", values);
      break;
    case "recovery-key-set":
      text = t("cluster.changed.recovery_key_set", values);
      break;
    case "recovery-key-removed":
      text = t("cluster.changed.recovery_key_removed", values);
      break;
    default:
      text = t("cluster.changed.other", values);
  }
  return (
    <div
      className={`notice ${changed.published ? "notice-success" : "notice-warning"}`}
      data-testid="roster-changed"
      data-version={changed.version}
      data-published={changed.published}
    >
      <p className="notice-title">{text}</p>
      {changed.what === "recovery-key-set" && (
        <>
          <p>{t("cluster.changed.recovery_key_saved")}</p>
          <p>
            <code className="path" data-testid="recovery-key-path">
              {changed.name}
            </code>
          </p>
          <p>{t("cluster.changed.recovery_key_offline")}</p>
        </>
      )}
      {changed.what === "recovery-key-removed" && <p>{t("cluster.changed.recovery_key_kept")}</p>}
      <p>{changed.published ? t("cluster.changed.on_relay") : t("cluster.changed.not_on_relay")}</p>
      {changed.publish_error !== null && (
        <div className="publish-error" data-testid="publish-error" data-code={changed.publish_error.code}>
          <p>{errorText(t, changed.publish_error.code)}</p>
          <ErrorDetails message={changed.publish_error.message} />
        </div>
      )}
    </div>
  );
}

/** The one `#publish-roster` button (in the coordinator section, or next to a publish error). */
function PublishButton({ busy, onPublish }: { busy: boolean; onPublish: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" id="publish-roster" disabled={busy} onClick={onPublish}>
      {t("cluster.publish.button")}
    </button>
  );
}

interface MembersTableProps {
  members: MemberEntry[];
  coordinator: boolean;
  busy: boolean;
  onRemove: (member: MemberEntry) => void;
}

/**
 * The roster as a table; at narrow widths and high zoom each row becomes a card, its cells
 * labelled with their column's name (cluster.css).
 */
function MembersTable({ members, coordinator, busy, onRemove }: MembersTableProps) {
  const { t } = useTranslation();
  const columns = {
    member: t("cluster.members.col_member"),
    roles: t("cluster.members.col_roles"),
    status: t("cluster.members.col_status"),
    keys: t("cluster.members.col_keys"),
    actions: t("cluster.members.col_actions"),
  };
  return (
    <table className="members-table">
      <caption className="visually-hidden">{t("cluster.members.caption")}</caption>
      <thead>
        <tr>
          <th scope="col">{columns.member}</th>
          <th scope="col">{columns.roles}</th>
          <th scope="col">{columns.status}</th>
          <th scope="col">{columns.keys}</th>
          {coordinator && <th scope="col">{columns.actions}</th>}
        </tr>
      </thead>
      <tbody>
        {members.map((member) => (
          <MemberRow
            key={member.member_id}
            member={member}
            columns={columns}
            coordinator={coordinator}
            busy={busy}
            onRemove={() => onRemove(member)}
          />
        ))}
      </tbody>
    </table>
  );
}

interface MemberRowProps {
  member: MemberEntry;
  columns: Record<"member" | "roles" | "status" | "keys" | "actions", string>;
  coordinator: boolean;
  busy: boolean;
  onRemove: () => void;
}

function MemberRow({ member, columns, coordinator, busy, onRemove }: MemberRowProps) {
  const { t } = useTranslation();
  const nameId = useId();
  const removed = member.status === "removed";
  const status =
    member.status === "active"
      ? t("cluster.members.active")
      : removed
        ? t("cluster.members.removed")
        : member.status;
  const canRemove = coordinator && !member.you && !removed;
  return (
    <tr
      className={`member-row status-${member.status}`}
      data-testid="member-row"
      data-member-id={member.member_id}
      data-status={member.status}
    >
      <td data-label={columns.member}>
        <span className="person-name" id={nameId}>
          {member.name}
        </span>{" "}
        <span className="person-org">({member.org})</span>
        <span className="member-badges">
          {member.you && (
            <span className="badge badge-you" data-testid="member-you">
              {t("cluster.members.you")}
            </span>
          )}
          {member.coordinator_key && (
            <span className="badge badge-signer" data-testid="roster-signer">
              {t("cluster.members.signs")}
            </span>
          )}
        </span>
      </td>
      <td data-label={columns.roles}>
        <RoleList roles={member.roles} />
      </td>
      <td data-label={columns.status}>
        <span className={`status status-${member.status}`} data-status={member.status}>
          {status}
        </span>
      </td>
      <td data-label={columns.keys} className="member-keys">
        <p>
          <span className="key-label">{t("cluster.members.fingerprint")}</span>{" "}
          <code className="key-digits" data-testid="member-fingerprint">
            {member.fingerprint}
          </code>
        </p>
        {!member.you && member.safety_number !== null && (
          <div className="safety">
            <p>
              <span className="key-label">{t("cluster.members.safety_number", { name: member.name })}</span>{" "}
              <code className="key-digits" data-testid="safety-number">
                {member.safety_number}
              </code>
            </p>
            <p className="hint">{t("cluster.members.safety_hint", { name: member.name })}</p>
          </div>
        )}
      </td>
      {coordinator && (
        <td data-label={columns.actions} className="member-actions">
          {canRemove && (
            <button
              type="button"
              className="secondary danger"
              data-action="remove"
              aria-describedby={nameId}
              disabled={busy}
              onClick={onRemove}
            >
              {t("cluster.members.remove")}
            </button>
          )}
        </td>
      )}
    </tr>
  );
}

interface CoordinatorToolsProps {
  api: Pick<Api, "createInvite" | "invites" | "joinRequests">;
  /** Changes when the lists should be read again (a sync pass, a roster change). */
  trigger: string;
  busy: boolean;
  showPublish: boolean;
  onApprove: (request: PendingRequest) => void;
  onReject: (request: PendingRequest) => void;
  onPublish: () => void;
}

function CoordinatorTools(props: CoordinatorToolsProps) {
  const { api, trigger, busy, showPublish, onApprove, onReject, onPublish } = props;
  const { t } = useTranslation();
  const [created, setCreated] = useState(0);
  const invites = useRefreshing(() => api.invites(), `${trigger}-${created}`);
  return (
    <section className="coordinator-tools" aria-labelledby="tools-title">
      <h2 id="tools-title">{t("cluster.tools.title")}</h2>
      <p>{t("cluster.tools.intro")}</p>

      <Requests api={api} trigger={trigger} busy={busy} onApprove={onApprove} onReject={onReject} />

      <InviteForm api={api} onCreated={() => setCreated((n) => n + 1)} />

      <section className="tool" aria-labelledby="invites-title">
        <h3 id="invites-title">{t("cluster.invite.list_title")}</h3>
        <p className="hint">{t("cluster.invite.list_intro")}</p>
        {invites.error && <ErrorNotice error={invites.error} />}
        <ListState
          entries={invites.data}
          error={invites.error}
          empty={t("cluster.invite.list_empty")}
          emptyTestId="invites-empty"
        />
        {invites.data !== undefined && invites.data.length > 0 && (
          <ul className="invite-list">
            {invites.data.map((invite) => (
              <InviteRow key={invite.invite_id} invite={invite} />
            ))}
          </ul>
        )}
      </section>

      <section className="tool" aria-labelledby="publish-title">
        <h3 id="publish-title">{t("cluster.publish.title")}</h3>
        <p>{t("cluster.publish.intro")}</p>
        {showPublish && (
          <div className="actions">
            <PublishButton busy={busy} onPublish={onPublish} />
          </div>
        )}
      </section>
    </section>
  );
}

/** Whole days typed into the form, or null when the text is not one in range. */
function parseDays(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const days = Number(text);
  return days >= INVITE_DAYS_MIN && days <= INVITE_DAYS_MAX ? days : null;
}

function InviteForm({ api, onCreated }: { api: Pick<Api, "createInvite">; onCreated: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [role, setRole] = useState<string>(INVITE_ROLES[0]);
  const [org, setOrg] = useState("");
  const [daysText, setDaysText] = useState(String(INVITE_DAYS_DEFAULT));
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [invite, setInvite] = useState<NewInvite | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const days = parseDays(daysText);
  const range = { min: formatNumber(INVITE_DAYS_MIN, lang), max: formatNumber(INVITE_DAYS_MAX, lang) };
  const roleNames: Record<(typeof INVITE_ROLES)[number], string> = {
    partner: t("role.partner"),
    imo: t("role.imo"),
    coordinator: t("role.coordinator"),
  };

  async function create(event: FormEvent) {
    event.preventDefault();
    if (days === null || creating) return;
    setCreating(true);
    setError(null);
    setInvite(null);
    try {
      const trimmed = org.trim();
      setInvite(await api.createInvite(role, trimmed === "" ? null : trimmed, days));
      onCreated();
      setTimeout(() => headingRef.current?.focus(), 0);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setCreating(false);
    }
  }

  return (
    <section className="tool" aria-labelledby="invite-title">
      <h3 id="invite-title">{t("cluster.invite.title")}</h3>
      <p>{t("cluster.invite.intro")}</p>
      <form className="invite-form" onSubmit={(event) => void create(event)} noValidate>
        <div className="field">
          <label htmlFor="invite-role">{t("cluster.invite.role")}</label>
          <select id="invite-role" value={role} onChange={(event) => setRole(event.target.value)}>
            {INVITE_ROLES.map((value) => (
              <option key={value} value={value}>
                {roleNames[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="invite-org">{t("cluster.invite.org")}</label>
          <input
            type="text"
            id="invite-org"
            value={org}
            aria-describedby="invite-org-hint"
            onChange={(event) => setOrg(event.target.value)}
          />
          <p id="invite-org-hint" className="hint">
            {t("cluster.invite.org_hint")}
          </p>
        </div>
        <div className="field">
          <label htmlFor="invite-days">{t("cluster.invite.days")}</label>
          <input
            type="number"
            id="invite-days"
            inputMode="numeric"
            min={INVITE_DAYS_MIN}
            max={INVITE_DAYS_MAX}
            step={1}
            value={daysText}
            aria-invalid={days === null}
            aria-describedby={days === null ? "invite-days-hint invite-days-problem" : "invite-days-hint"}
            onChange={(event) => setDaysText(event.target.value)}
          />
          <p id="invite-days-hint" className="hint">
            {t("cluster.invite.days_hint", range)}
          </p>
          {days === null && (
            <p id="invite-days-problem" className="problem">
              {t("cluster.invite.days_problem", range)}
            </p>
          )}
        </div>
        <div className="actions">
          <button type="submit" id="create-invite" disabled={days === null || creating}>
            {t("cluster.invite.create")}
          </button>
        </div>
        {creating && <p role="status">{t("cluster.invite.creating")}</p>}
      </form>
      {error && <ErrorNotice error={error} />}
      {invite !== null && <NewInviteCard invite={invite} headingRef={headingRef} />}
    </section>
  );
}

function NewInviteCard({ invite, headingRef }: { invite: NewInvite; headingRef: RefObject<HTMLHeadingElement | null> }) {
  const { t, i18n } = useTranslation();
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");
  const codeId = useId();

  async function copyCode() {
    setCopy("idle");
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(invite.code);
      setCopy("copied");
    } catch {
      // Only a convenience: the code is on screen to select and copy by hand.
      setCopy("failed");
    }
  }

  return (
    <div className="new-invite notice notice-success" data-testid="new-invite" data-invite-id={invite.invite_id}>
      <h4 ref={headingRef} tabIndex={-1}>
        {t("cluster.invite.new_title")}
      </h4>
      <p className="invite-code-line">
        <span id={codeId}>{t("cluster.invite.code_label")}</span>{" "}
        <code className="invite-code" data-testid="invite-code" aria-labelledby={codeId}>
          {invite.code}
        </code>
      </p>
      <div className="actions">
        <button type="button" id="copy-invite" className="secondary" onClick={() => void copyCode()}>
          {t("cluster.invite.copy")}
        </button>
      </div>
      <p role="status" className="copy-note">
        {copy === "copied" && t("cluster.invite.copied")}
        {copy === "failed" && t("cluster.invite.copy_failed")}
      </p>
      <p className="notice notice-warning invite-warning">
        {t("cluster.invite.warning", { time: formatDateTime(invite.expires_at, i18n.language) })}
      </p>
      <img
        className="invite-qr"
        data-testid="invite-qr"
        src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(invite.qr_svg)}`}
        alt={t("cluster.invite.qr_alt")}
      />
      <p className="hint">{t("cluster.invite.qr_hint")}</p>
    </div>
  );
}

function InviteRow({ invite }: { invite: InviteSummary }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const state = invite.used ? "used" : isPast(invite.expires_at) ? "expired" : "unused";
  const stateText =
    state === "used"
      ? t("cluster.invite.used")
      : state === "expired"
        ? t("cluster.invite.expired")
        : t("cluster.invite.unused");
  return (
    <li className={`invite-row invite-${state}`} data-testid="invite-row" data-invite-id={invite.invite_id} data-state={state}>
      <p className="row-tags">
        <RoleList roles={[invite.role]} />{" "}
        <span className={`status status-${state}`}>{stateText}</span>
      </p>
      <p>{invite.org !== null ? t("cluster.invite.for_org", { org: invite.org }) : t("cluster.invite.any_org")}</p>
      <p className="meta">
        <span>{t("cluster.invite.created_at", { time: formatDateTime(invite.created_at, lang) })}</span>
        <span>{t("cluster.invite.expires_at", { time: formatDateTime(invite.expires_at, lang) })}</span>
      </p>
    </li>
  );
}

interface RequestsProps {
  api: Pick<Api, "joinRequests">;
  trigger: string;
  busy: boolean;
  onApprove: (request: PendingRequest) => void;
  onReject: (request: PendingRequest) => void;
}

/**
 * Join and key-change requests, fetched from the relay when the screen opens, after each sync
 * pass and roster change, and on "Check for new requests". Approving asks first, repeating the
 * fingerprint to compare by phone.
 */
function Requests({ api, trigger, busy, onApprove, onReject }: RequestsProps) {
  const { t } = useTranslation();
  const [checking, setChecking] = useState(false);
  const [approving, setApproving] = useState<PendingRequest | null>(null);
  const { data, error, reload } = useRefreshing(async () => {
    setChecking(true);
    try {
      return await api.joinRequests();
    } finally {
      setChecking(false);
    }
  }, trigger);
  const relayError = data?.relay_error ?? null;
  const nameOf = (request: PendingRequest) => request.name ?? t("cluster.requests.unknown_name");

  return (
    <section className="tool" aria-labelledby="requests-title">
      <h3 id="requests-title">{t("cluster.requests.title")}</h3>
      <p className="notice">{t("cluster.requests.intro")}</p>
      <div className="actions">
        <button type="button" id="refresh-requests" className="secondary" disabled={checking} onClick={reload}>
          {t("cluster.requests.refresh")}
        </button>
      </div>
      <p role="status">{checking && t("cluster.requests.checking")}</p>
      {error && <ErrorNotice error={error} />}
      {relayError !== null && (
        <div className="notice notice-warning" data-testid="requests-relay-error" data-code={relayError.code}>
          <p className="notice-title">{t("cluster.requests.relay_error")}</p>
          <p>{errorText(t, relayError.code)}</p>
          <ErrorDetails message={relayError.message} />
        </div>
      )}
      <ListState
        entries={data?.requests}
        error={error}
        empty={t("cluster.requests.empty")}
        emptyTestId="requests-empty"
      />
      {data !== undefined && data.requests.length > 0 && (
        <ul className="request-list">
          {data.requests.map((request) => (
            <RequestRow
              key={request.id}
              request={request}
              busy={busy}
              onApprove={() => setApproving(request)}
              onReject={() => onReject(request)}
            />
          ))}
        </ul>
      )}

      {approving !== null && (
        <ConfirmDialog
          title={t("cluster.requests.confirm_title", { name: nameOf(approving) })}
          confirmLabel={t("cluster.requests.confirm_approve")}
          cancelLabel={t("cluster.requests.confirm_cancel")}
          confirmId="confirm-approve"
          onConfirm={() => {
            const request = approving;
            setApproving(null);
            onApprove(request);
          }}
          onCancel={() => setApproving(null)}
        >
          <p>{t("cluster.requests.confirm_phone", { name: nameOf(approving) })}</p>
          <p>
            <code className="key-digits key-digits-large" data-testid="confirm-fingerprint">
              {approving.fingerprint ?? t("cluster.requests.no_fingerprint")}
            </code>
          </p>
          <p>{t("cluster.requests.confirm_mismatch")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface RequestRowProps {
  request: PendingRequest;
  busy: boolean;
  onApprove: () => void;
  onReject: () => void;
}

function RequestRow({ request, busy, onApprove, onReject }: RequestRowProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const titleId = useId();
  const kind =
    request.kind === "join"
      ? t("cluster.requests.kind_join")
      : request.kind === "key-change"
        ? t("cluster.requests.kind_key_change")
        : request.kind;
  return (
    <li
      className={`request-row${request.problem !== null ? " request-problem" : ""}`}
      data-testid="request-row"
      data-request-id={request.id}
      data-kind={request.kind}
    >
      <p className="row-title" id={titleId}>
        <span className="person-name">{request.name ?? t("cluster.requests.unknown_name")}</span>
        {request.org !== null && (
          <>
            {" "}
            <span className="person-org">({request.org})</span>
          </>
        )}
      </p>
      <p className="row-tags">
        <span className="badge badge-kind" data-kind={request.kind}>
          {kind}
        </span>{" "}
        {request.role !== null && <RoleList roles={[request.role]} />}
      </p>
      {request.requested_at !== null && (
        <p className="meta">
          <span>{t("cluster.requests.requested_at", { time: formatDateTime(request.requested_at, lang) })}</span>
        </p>
      )}
      <p>
        <span className="key-label">{t("cluster.requests.fingerprint")}</span>{" "}
        <code className="key-digits key-digits-large" data-testid="request-fingerprint">
          {request.fingerprint ?? t("cluster.requests.no_fingerprint")}
        </code>
      </p>
      {request.problem !== null && (
        <div className="problem" data-testid="request-problem">
          <p>{t("cluster.requests.problem")}</p>
          <p lang="en">{request.problem}</p>
        </div>
      )}
      <div className="actions">
        {request.problem === null && (
          <button type="button" data-action="approve" aria-describedby={titleId} disabled={busy} onClick={onApprove}>
            {t("cluster.requests.approve")}
          </button>
        )}
        <button
          type="button"
          className="secondary"
          data-action="reject"
          aria-describedby={titleId}
          disabled={busy}
          onClick={onReject}
        >
          {t("cluster.requests.reject")}
        </button>
      </div>
    </li>
  );
}

interface RecoveryKeySectionProps {
  /** The public key the roster names, or null. */
  recoveryKey: string | null;
  busy: boolean;
  /** Makes the key under this passphrase; calls back once it is made and named. */
  onCreate: (passphrase: string, onMade: () => void) => void;
  onRemove: () => void;
}

/**
 * The coordinator's choice of a cluster recovery key: what it costs (a second way into every
 * parcel sealed while it is named), and making it (passphrase typed twice, then the shell's
 * save dialog) or stopping it (after a question). Recovering is done offline, on the command line.
 */
function RecoveryKeySection({ recoveryKey, busy, onCreate, onRemove }: RecoveryKeySectionProps) {
  const { t, i18n } = useTranslation();
  const entry = useNewPassphrase();
  const [confirming, setConfirming] = useState(false);
  const firstRef = useRef<HTMLInputElement>(null);
  const againRef = useRef<HTMLInputElement>(null);

  function create(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const found = entry.check();
    if (found !== null) {
      // After React has rendered the problem, so a screen reader hears it with the field.
      setTimeout(() => (found === "mismatch" ? againRef : firstRef).current?.focus(), 0);
      return;
    }
    onCreate(entry.passphrase, () => entry.clear());
  }

  return (
    <section className="recovery-key" aria-labelledby="recovery-key-title" data-testid="recovery-key-section">
      <h2 id="recovery-key-title">{t("cluster.recovery.title")}</h2>
      <p>{t("cluster.recovery.intro")}</p>
      <p className="notice notice-warning">{t("cluster.recovery.tradeoff")}</p>
      <p>{t("cluster.recovery.not_before")}</p>

      {recoveryKey === null ? (
        <>
          <p className="recovery-state" data-testid="recovery-key-none">
            {t("cluster.recovery.none")}
          </p>
          <form className="recovery-form" onSubmit={create} noValidate>
            <NewPassphraseFields
              id="recovery-passphrase"
              againId="recovery-passphrase-again"
              {...entry.fields}
              hint={t("cluster.recovery.passphrase_hint", {
                min: formatNumber(MIN_PASSPHRASE_CHARS, i18n.language),
              })}
              readOnly={busy}
              firstRef={firstRef}
              againRef={againRef}
            />
            <p className="hint" id="recovery-save-hint">
              {t("cluster.recovery.save_hint")}
            </p>
            <div className="actions">
              <button
                type="submit"
                id="create-recovery-key"
                data-testid="recovery-key-create"
                aria-describedby="recovery-save-hint"
                disabled={busy}
              >
                {t("cluster.recovery.create")}
              </button>
            </div>
          </form>
        </>
      ) : (
        <>
          <p className="recovery-state">{t("cluster.recovery.named")}</p>
          <p className="recovery-public-line">
            <span className="key-label">{t("cluster.recovery.public_label")}</span>{" "}
            <code className="recovery-public" data-testid="recovery-key-public" translate="no">
              {recoveryKey}
            </code>
          </p>
          <p className="hint">{t("cluster.recovery.public_hint")}</p>
          <div className="actions">
            <button
              type="button"
              className="secondary danger"
              id="remove-recovery-key"
              data-testid="recovery-key-remove"
              disabled={busy}
              onClick={() => setConfirming(true)}
            >
              {t("cluster.recovery.remove")}
            </button>
          </div>
        </>
      )}

      <h3 id="recovery-recover-title">{t("cluster.recovery.recover_title")}</h3>
      <p>{t("cluster.recovery.recover")}</p>
      <pre className="recovery-command" data-testid="recovery-command" translate="no" lang="en">
        <code>{RECOVER_COMMAND}</code>
      </pre>
      <p className="hint">{t("cluster.recovery.recover_after")}</p>

      {confirming && (
        <ConfirmDialog
          title={t("cluster.recovery.remove_title")}
          confirmLabel={t("cluster.recovery.remove_confirm")}
          cancelLabel={t("cluster.recovery.remove_cancel")}
          confirmId="confirm-remove-recovery-key"
          onConfirm={() => {
            setConfirming(false);
            onRemove();
          }}
          onCancel={() => setConfirming(false)}
        >
          <p>{t("cluster.recovery.remove_roster")}</p>
          <p>{t("cluster.recovery.remove_kept")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
