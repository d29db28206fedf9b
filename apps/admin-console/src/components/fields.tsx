import { type ReactNode, useId } from "react";

/** One term of a description list (`<dl>`): a label and its value. */
export function Detail({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/** A labelled form control: the control gets the id its label points at. */
export function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** A select's choices: "Any" (the empty value), then each value as its own label. */
export function AnyOf({ values }: { values: readonly string[] }) {
  return (
    <>
      <option value="">Any</option>
      {values.map((value) => (
        <option key={value} value={value}>
          {value}
        </option>
      ))}
    </>
  );
}
