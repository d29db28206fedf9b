import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import {
  clearToken,
  decodeClaims,
  isExpired,
  loadToken,
  saveToken,
  type TokenClaims,
  takeTokenFromFragment,
} from "./lib/session.ts";

type Session = {
  readonly token: string | null;
  readonly claims: TokenClaims | null;
  /** Why the sign-in page is shown again (an expired or refused token), if it is. */
  readonly notice: string | null;
  signIn(token: string): string | null;
  signOut(notice?: string): void;
};

const SessionContext = createContext<Session | null>(null);

/** Reads a sign-in link's token once (and strips it from the address bar), else sessionStorage. */
function initialToken(): string | null {
  const { token, rest } = takeTokenFromFragment(window.location.hash);
  if (token) {
    window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}${rest}`);
    if (usable(token)) {
      saveToken(window.sessionStorage, token);
      return token;
    }
  }
  const stored = loadToken(window.sessionStorage);
  if (stored && !usable(stored)) {
    clearToken(window.sessionStorage);
    return null;
  }
  return stored;
}

/** The same checks for a pasted token, a sign-in link and one kept from earlier in this tab. */
function tokenProblem(token: string): string | null {
  const decoded = decodeClaims(token);
  if (!decoded) return "That is not a JWT (three base64url parts with a subject).";
  if (isExpired(decoded, Date.now())) return "That token has expired.";
  return null;
}

function usable(token: string): boolean {
  return tokenProblem(token) === null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(initialToken);
  const [notice, setNotice] = useState<string | null>(null);
  const claims = useMemo(() => (token ? decodeClaims(token) : null), [token]);

  const signIn = useCallback((candidate: string): string | null => {
    const trimmed = candidate.trim();
    const problem = tokenProblem(trimmed);
    if (problem) return problem;
    saveToken(window.sessionStorage, trimmed);
    setNotice(null);
    setToken(trimmed);
    return null;
  }, []);

  const signOut = useCallback((why?: string) => {
    clearToken(window.sessionStorage);
    setNotice(why ?? null);
    setToken(null);
  }, []);

  // A sign-in link opened in a tab already on the console changes only the fragment (no reload).
  useEffect(() => {
    const onHashChange = () => {
      const { token: linked, rest } = takeTokenFromFragment(window.location.hash);
      if (!linked) return;
      window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}${rest}`);
      const problem = signIn(linked);
      if (problem) setNotice(`The sign-in link was not used: ${problem}`);
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, [signIn]);

  const value = useMemo(
    () => ({ token: claims ? token : null, claims, notice, signIn, signOut }),
    [token, claims, notice, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
