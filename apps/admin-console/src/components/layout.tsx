import { type ReactNode, useEffect, useRef } from "react";
import { NavLink, useLocation } from "react-router";
import { useSession } from "../session.tsx";

export function Layout({ children }: { children: ReactNode }) {
  const { claims, signOut, notice } = useSession();
  const { pathname } = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  // On navigation the focus moves to the new page's content (and screen readers read from there).
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (pathname) mainRef.current?.focus();
  }, [pathname]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Hub admin</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Overview
          </NavLink>
          <NavLink to="/hubs">Hubs</NavLink>
          <NavLink to="/live">Live</NavLink>
          <NavLink to="/organizations">Organizations</NavLink>
          <NavLink to="/webhooks">Webhooks</NavLink>
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
      <main id="main" tabIndex={-1} ref={mainRef}>
        {notice ? (
          <div className="notice notice-error" role="alert">
            <p>{notice}</p>
          </div>
        ) : null}
        {children}
      </main>
    </>
  );
}
