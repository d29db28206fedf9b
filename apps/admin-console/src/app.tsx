import { useMemo } from "react";
import { BrowserRouter, Route, Routes } from "react-router";
import { Provider } from "urql";
import { createApiClient } from "./client.ts";
import { Layout } from "./components/layout.tsx";
import { HubPage } from "./pages/hub.tsx";
import { HubsPage } from "./pages/hubs.tsx";
import { LivePage } from "./pages/live.tsx";
import { NotFoundPage } from "./pages/not-found.tsx";
import { OrganizationPage } from "./pages/organization.tsx";
import { OrganizationsPage } from "./pages/organizations.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { SignInPage } from "./pages/sign-in.tsx";
import { WebhookPage } from "./pages/webhook.tsx";
import { WebhooksPage } from "./pages/webhooks.tsx";
import { SessionProvider, useSession } from "./session.tsx";

function SignedIn() {
  const { token } = useSession();
  const client = useMemo(() => (token ? createApiClient(token) : null), [token]);
  if (!client) return <SignInPage />;
  return (
    <Provider value={client}>
      <Layout>
        <Routes>
          <Route path="/" element={<OverviewPage />} />
          <Route path="/hubs" element={<HubsPage />} />
          <Route path="/hubs/:id" element={<HubPage />} />
          <Route path="/live" element={<LivePage />} />
          <Route path="/organizations" element={<OrganizationsPage />} />
          <Route path="/organizations/:id" element={<OrganizationPage />} />
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="/webhooks/:id" element={<WebhookPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </Layout>
    </Provider>
  );
}

export function App() {
  return (
    <BrowserRouter basename="/admin">
      <SessionProvider>
        <SignedIn />
      </SessionProvider>
    </BrowserRouter>
  );
}
