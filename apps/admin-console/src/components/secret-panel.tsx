import { type ReactNode, useEffect, useId, useRef, useState } from "react";

/** Copies `text` (navigator.clipboard) and says so where screen readers hear it. */
export function CopyButton({ text, label, children }: { text: string; label: string; children?: string }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  }
  return (
    <>
      <button type="button" className="copy-button secondary" aria-label={label} title={label} onClick={copy}>
        {children ?? "Copy"}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {copied === "yes" ? "Copied" : copied === "failed" ? "Copying failed: select the text instead" : ""}
      </span>
    </>
  );
}

/**
 * A secret shown this once: in the page's memory only (never stored, never in the URL), with a Copy
 * button and the warning that it will not be shown again. It takes the focus when it appears; the
 * page drops it on dismissal and on any navigation.
 */
export function SecretPanel(props: {
  title: string;
  secret: string;
  children?: ReactNode;
  onDismiss: () => void;
}) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <section className="secret-panel" aria-labelledby={`${id}-title`} data-testid="secret-panel">
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        {props.title}
      </h2>
      {props.children}
      <p className="secret-warning">
        Copy it now and keep it safe: <strong>you will not see it again</strong>. It is not stored anywhere
        this console can show it.
      </p>
      <p className="secret-value">
        <code data-testid="secret-value">{props.secret}</code>
      </p>
      <div className="actions">
        <CopyButton text={props.secret} label="Copy the secret" />
        <button type="button" onClick={props.onDismiss}>
          I have copied it, hide it
        </button>
      </div>
    </section>
  );
}
