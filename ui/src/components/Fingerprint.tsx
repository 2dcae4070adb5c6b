import { useTranslation } from "react-i18next";
import "../screens/onboarding.css";

/**
 * This member's fingerprint, large enough to read out by phone. `data-testid="my-fingerprint"`
 * holds the digits alone (the end-to-end test reads them).
 */
export function Fingerprint({ fingerprint, label }: { fingerprint: string; label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="fingerprint-box">
      <p className="fingerprint-label">
        {label ?? t("onboarding.fingerprint.label")}
      </p>
      <p>
        <code className="fingerprint" data-testid="my-fingerprint">
          {fingerprint}
        </code>
      </p>
    </div>
  );
}
