type Step = { readonly label: string; readonly go: (() => void) | null };

/**
 * Two page buttons. One that leads nowhere is aria-disabled, not disabled: it keeps the focus when
 * the page it was pressed on was the last one (a disabled button would drop it to the body).
 */
export function Pager({ label, back, forward }: { label: string; back: Step; forward: Step }) {
  if (!back.go && !forward.go) return null;
  return (
    <nav className="pager" aria-label={label}>
      {[back, forward].map((step) => (
        <button
          key={step.label}
          type="button"
          aria-disabled={step.go ? undefined : true}
          onClick={() => step.go?.()}
        >
          {step.label}
        </button>
      ))}
    </nav>
  );
}
