import { useTranslation } from "react-i18next";

/** The screens not built yet. */
export const LATER_SCREENS = ["cluster", "settings"] as const;
export type LaterScreen = (typeof LATER_SCREENS)[number];

/** A screen not built yet: its title and an honest sentence about what will be there. */
export function ComingNext({ screen }: { screen: LaterScreen }) {
  const { t } = useTranslation();
  return (
    <section className="screen" aria-labelledby={`${screen}-title`}>
      <h1 id={`${screen}-title`}>{t(`screens.${screen}.title`)}</h1>
      <p>{t(`screens.${screen}.coming`)}</p>
    </section>
  );
}
