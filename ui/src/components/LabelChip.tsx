import { useTranslation } from "react-i18next";
import type { Label } from "../bindings/Label";
import { labelKey } from "../labels";

/** A label as a coloured chip; the colour repeats the text, it never replaces it. */
export function LabelChip({ label }: { label: Label }) {
  const { t } = useTranslation();
  return (
    <span className={`chip chip-${label}`} data-label={label}>
      {t(`label.${labelKey(label)}.name`)}
    </span>
  );
}
