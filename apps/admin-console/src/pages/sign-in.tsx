import { type FormEvent, useId, useState } from "react";
import { useSession } from "../session.tsx";

export function SignInPage() {
  const { signIn, notice } = useSession();
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget).get("token") ?? "");
    setProblem(signIn(token));
  }

  return (
    <main id="main" className="sign-in">
      <h1>Hub admin console</h1>
      {notice ? (
        <div className="notice notice-error" role="alert">
          <p>{notice}</p>
        </div>
      ) : null}
      <form onSubmit={submit} aria-describedby={`${id}-help`}>
        <label htmlFor={`${id}-token`}>Admin token (JWT)</label>
        <textarea
          id={`${id}-token`}
          name="token"
          rows={4}
          required
          spellCheck={false}
          autoComplete="off"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${id}-problem` : undefined}
        />
        {problem ? (
          <p id={`${id}-problem`} className="field-error" role="alert">
            {problem}
          </p>
        ) : null}
        <p id={`${id}-help`} className="muted">
          Paste a bearer token with <code>role: admin</code>, or open the sign-in link <code>npm start</code>{" "}
          prints. The token stays in this tab only (session storage) and never in the address bar.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
