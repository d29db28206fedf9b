type Step = { readonly label: string; readonly to: URLSearchParams | null };

/**
 * Two page buttons leading to other query strings of the same page. One that leads nowhere is
 * aria-disabled, not disabled: it keeps the focus when the page it was pressed on was the last one
 * (a disabled button would drop it to the body).
 */
export function Pager(props: {
  label: string;
  back: Step;
  forward: Step;
  go: (params: URLSearchParams) => void;
}) {
  if (!props.back.to && !props.forward.to) return null;
  return (
    <nav className="pager" aria-label={props.label}>
      {[props.back, props.forward].map(({ label, to }) => (
        <button
          key={label}
          type="button"
          aria-disabled={to ? undefined : true}
          onClick={() => to && props.go(to)}
        >
          {label}
        </button>
      ))}
    </nav>
  );
}
