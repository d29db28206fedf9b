import { type ReactNode, useEffect, useId, useRef } from "react";

/**
 * A modal confirmation (the native <dialog>: focus kept inside, Escape cancels). Rendered while
 * `open`; the confirm button has the focus first unless the body has a field.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  children?: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const { open } = props;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={`${id}-title`} onClose={() => open && props.onCancel()}>
      {open ? (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            props.onConfirm();
          }}
        >
          <h2 id={`${id}-title`}>{props.title}</h2>
          {props.children}
          <div className="actions">
            <button type="submit" className={props.danger ? "danger" : undefined}>
              {props.confirmLabel}
            </button>
            <button type="button" className="secondary" onClick={props.onCancel}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
