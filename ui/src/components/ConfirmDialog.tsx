import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from "react";

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  /** The confirm button's id (the end-to-end test presses it). */
  confirmId?: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal question. Focus starts on Cancel (the safe answer), Tab stays inside, Escape
 * cancels, and focus returns to where it was when the dialog closes. Built from a plain
 * element with `role="dialog"` rather than `<dialog>`, whose `showModal` jsdom lacks.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { title, children, confirmLabel, cancelLabel, confirmId, onConfirm, onCancel } = props;
  const id = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    cancelRef.current?.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
      return;
    }
    if (event.key !== "Tab" || !boxRef.current) return;
    const focusable = [...boxRef.current.querySelectorAll<HTMLElement>("button:not([disabled]), [href], input, textarea")];
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <div className="dialog-backdrop">
      <div
        ref={boxRef}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-body`}
        onKeyDown={onKeyDown}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <div id={`${id}-body`}>{children}</div>
        <div className="actions">
          <button type="button" ref={cancelRef} className="secondary" onClick={onCancel}>
            {cancelLabel}
          </button>
          <button type="button" id={confirmId} onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
