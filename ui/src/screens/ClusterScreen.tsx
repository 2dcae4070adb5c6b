import { useTranslation } from "react-i18next";
import type { Api } from "../api";
import type { Session } from "../bindings/Session";
import type { SyncFeed } from "../sync";

export interface ClusterScreenProps {
  api: Api;
  session: Session;
  feed: SyncFeed;
}

/** The cluster: members and safety numbers; the coordinator's invites, requests and removals. */
export function ClusterScreen(_props: ClusterScreenProps) {
  const { t } = useTranslation();
  return (
    <section className="screen" aria-labelledby="cluster-title">
      <h1 id="cluster-title">{t("screens.cluster.title")}</h1>
    </section>
  );
}
