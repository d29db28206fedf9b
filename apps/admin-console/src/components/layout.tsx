import type { ReactNode } from "react";
import { NavLink } from "react-router";
import { useSession } from "../session.tsx";

export function Layout({ children }: { children: ReactNode }) {
  const { claims, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Hub admin</span>
        <nav aria-label="Main">
          <NavLink to="/hubs">Hubs</NavLink>
          <NavLink to="/live">Live</NavLink>
        </nav>
        <span className="who">
          <span>
            {claims?.sub}
            {claims?.role ? ` (${claims.role})` : ""}
          </span>
          <button type="button" className="link-button" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
