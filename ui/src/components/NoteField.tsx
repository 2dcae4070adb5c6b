import { useTranslation } from "react-i18next";
import { MAX_NOTE_CHARS } from "../bindings/limits";
import { formatNumber } from "../format";

/**
 * The note that travels with a parcel (sending, correcting, publishing a product): a text area
 * bounded to the manifest's limit, with the limit said under it. `id` names the text area; its
 * hint is `${id}-hint`.
 */
export function NoteField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (note: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const hint = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={3}
        maxLength={MAX_NOTE_CHARS}
        value={value}
        dir="auto"
        aria-describedby={hint}
        onChange={(event) => onChange(event.target.value)}
      />
      <p id={hint} className="hint">
        {t("send.recipients.note_hint", { max: formatNumber(MAX_NOTE_CHARS, i18n.language) })}
      </p>
    </div>
  );
}
