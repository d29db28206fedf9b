import { useId } from "react";

/**
 * How long a rotated key or secret keeps working: a labelled select of durations in seconds, for
 * the body of a rotation's ConfirmDialog.
 */
export function OverlapSelect(props: {
  label: string;
  choices: readonly { readonly seconds: number; readonly label: string }[];
  value: number;
  onChange: (seconds: number) => void;
}) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(event) => props.onChange(Number(event.target.value))}>
        {props.choices.map((choice) => (
          <option key={choice.seconds} value={choice.seconds}>
            {choice.label}
          </option>
        ))}
      </select>
    </>
  );
}
