import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through HTTP proxy in front of hub-service that reports the tRPC procedures of each
 * request (a batch names several), so a test can count what a gateway asks for.
 */
export async function startTrpcProxy(target: string, onCall: (procedures: string[]) => void) {
  const upstreamUrl = new URL(target);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    if (url.pathname.startsWith("/trpc/")) onCall(url.pathname.slice("/trpc/".length).split(","));
    const upstream = http.request(
      {
        host: upstreamUrl.hostname,
        port: upstreamUrl.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
