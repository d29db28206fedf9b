/**
 * The admin's JWT lives in sessionStorage (this tab only, gone when it closes) and in no URL:
 * `npm start` prints a link with the token in the fragment (`/admin/#token=…`, never sent to a
 * server), which the console stores and removes from the address bar at once.
 */
const KEY = "hub-admin.token";

export type TokenClaims = {
  readonly sub: string;
  readonly role?: string;
  /** Epoch seconds. */
  readonly exp?: number;
};

export type Storage = Pick<globalThis.Storage, "getItem" | "setItem" | "removeItem">;

/** The payload of a compact JWS, unverified (the gateway verifies; this only labels the UI). */
export function decodeClaims(token: string): TokenClaims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as Record<string, unknown>;
    if (typeof claims.sub !== "string" || claims.sub === "") return null;
    return {
      sub: claims.sub,
      ...(typeof claims.role === "string" ? { role: claims.role } : {}),
      ...(typeof claims.exp === "number" ? { exp: claims.exp } : {}),
    };
  } catch {
    return null;
  }
}

/** A token in the fragment (`#token=…`), if any, and the fragment without it. */
export function takeTokenFromFragment(hash: string): { token: string | null; rest: string } {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const token = params.get("token");
  params.delete("token");
  const rest = params.toString();
  return { token: token && token.trim() !== "" ? token.trim() : null, rest: rest ? `#${rest}` : "" };
}

export function loadToken(storage: Storage): string | null {
  return storage.getItem(KEY);
}

export function saveToken(storage: Storage, token: string): void {
  storage.setItem(KEY, token);
}

export function clearToken(storage: Storage): void {
  storage.removeItem(KEY);
}

export function isExpired(claims: TokenClaims, nowMs: number): boolean {
  return claims.exp !== undefined && claims.exp * 1000 <= nowMs;
}
