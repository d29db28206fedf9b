import net from "node:net";

export type ProxyMode = "up" | "down" | "stalled";

export type TcpProxy = {
  readonly port: number;
  mode(): ProxyMode;
  /** Cuts every connection (RST) and resets new ones: the database is gone. */
  cut(): void;
  /** Keeps connections open but forwards nothing, either way: the database stopped answering. */
  stall(): void;
  /** Forwards again; connections that were stalled are cut (as after a real partition). */
  restore(): void;
  close(): Promise<void>;
};

type Pair = { client: net.Socket; upstream: net.Socket | undefined };

/** A TCP proxy the test controls, between a service and a dependency (PostgreSQL, Redis). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = "up";
  const pairs = new Set<Pair>();
  const stalled = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    stalled.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  };

  const freeze = (pair: Pair) => {
    stalled.add(pair);
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  };

  const server = net.createServer((client) => {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on("error", () => drop(pair));
    client.on("close", () => drop(pair));
    if (mode === "down") return drop(pair);
    if (mode === "stalled") return freeze(pair);
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("error", () => drop(pair));
    upstream.on("close", () => drop(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    port,
    mode: () => mode,
    cut() {
      mode = "down";
      for (const pair of [...pairs]) drop(pair);
    },
    stall() {
      mode = "stalled";
      for (const pair of pairs) freeze(pair);
    },
    restore() {
      for (const pair of [...stalled]) drop(pair);
      mode = "up";
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) drop(pair);
        server.close(() => resolve());
      }),
  };
}
