import net from "node:net";

export type ProxyMode = "up" | "down" | "stalled" | "held";

export type TcpProxy = {
  readonly port: number;
  mode(): ProxyMode;
  /** Cuts every connection (RST) and resets new ones: the database is gone. */
  cut(): void;
  /** Keeps connections open but forwards nothing, either way: the database stopped answering. */
  stall(): void;
  /** Forwards again; connections that were stalled are cut (as after a real partition). */
  restore(): void;
  /**
   * A network partition that heals: nothing moves either way, and what each side sends meanwhile
   * (data, and a close) waits, as unacknowledged packets do, to arrive in order on `heal`.
   */
  hold(): void;
  /** Ends a hold: what waited is delivered, in order, then the connections go on as before. */
  heal(): void;
  close(): Promise<void>;
};

type Pair = { client: net.Socket; upstream: net.Socket | undefined };

/** A TCP proxy the test controls, between a service and a dependency (PostgreSQL, Redis). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = "up";
  const pairs = new Set<Pair>();
  const stalled = new Set<Pair>();
  // A held connection reads nothing: what its peer sends (and its FIN) stays in the kernel's
  // buffers, so on heal it arrives in order, followed by the close, as after a real partition.
  const held = new Set<Pair>();

  const forget = (pair: Pair) => {
    pairs.delete(pair);
    stalled.delete(pair);
    held.delete(pair);
  };
  const drop = (pair: Pair) => {
    forget(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  };

  /** Stops forwarding either way; the pair is remembered in `set` (stalled or held). */
  const stopIn = (set: Set<Pair>) => (pair: Pair) => {
    set.add(pair);
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  };
  const freeze = stopIn(stalled);
  const hold = stopIn(held);
  const connect = (pair: Pair) => {
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("error", () => drop(pair));
    // A graceful close goes on as one (the other side still reads what came before it).
    upstream.on("end", () => pair.client.end());
    upstream.on("close", () => (pair.client.writableEnded ? forget(pair) : drop(pair)));
    pair.client.pipe(upstream, { end: false });
    upstream.pipe(pair.client, { end: false });
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on("error", () => drop(pair));
    client.on("end", () => pair.upstream?.end());
    client.on("close", () => (pair.upstream?.writableEnded ? forget(pair) : drop(pair)));
    if (mode === "down") return drop(pair);
    if (mode === "stalled") return freeze(pair);
    if (mode === "held") return hold(pair);
    connect(pair);
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
    hold() {
      mode = "held";
      for (const pair of pairs) hold(pair);
    },
    heal() {
      mode = "up";
      for (const pair of [...held]) {
        held.delete(pair);
        if (!pair.upstream) {
          connect(pair);
          continue;
        }
        pair.client.pipe(pair.upstream, { end: false });
        pair.upstream.pipe(pair.client, { end: false });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) drop(pair);
        server.close(() => resolve());
      }),
  };
}
