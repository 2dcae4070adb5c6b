import { useTranslation } from "react-i18next";
import type { ApiError } from "../api";

/**
 * What a list screen shows before its list has anything to show: "Loading…" until the first
 * answer (unless that answer was an error, which the screen shows itself), or the screen's
 * empty-list sentence. Renders nothing once there are entries.
 */
export function ListState({
  entries,
  error,
  empty,
  emptyTestId,
}: {
  entries: readonly unknown[] | undefined;
  error: ApiError | null;
  empty: string;
  emptyTestId: string;
}) {
  const { t } = useTranslation();
  if (entries === undefined) return error ? null : <p role="status">{t("common.loading")}</p>;
  if (entries.length > 0) return null;
  return (
    <p className="empty" data-testid={emptyTestId}>
      {empty}
    </p>
  );
}
