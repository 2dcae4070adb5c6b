import { useTranslation } from "react-i18next";

/** The roles of `Role` in crates/format/src/roster.rs; anything newer is shown as it came. */
const KNOWN_ROLES = new Set(["coordinator", "imo", "partner"]);

/** A member's roles in the cluster, as small tags. */
export function RoleList({ roles }: { roles: readonly string[] }) {
  const { t } = useTranslation();
  if (roles.length === 0) return null;
  return (
    <span className="roles">
      {roles.map((role) => (
        <span key={role} className={`role role-${role}`} data-role={role}>
          {KNOWN_ROLES.has(role) ? t(`role.${role}`) : role}
        </span>
      ))}
    </span>
  );
}
