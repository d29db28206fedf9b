import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The console is served by the gateway under /admin (same origin as /graphql, so no CORS and a
 * strict CSP: no inline script or style, everything from 'self'). `npm run dev` proxies the API
 * to a gateway on :4000 for hot reloading.
 */
export default defineConfig({
  base: "/admin/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Over 250 kB gzipped fails the size test anyway; this warns earlier.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/graphql": "http://127.0.0.1:4000" },
  },
});
