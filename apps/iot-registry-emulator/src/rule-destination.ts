import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { EmulatorLogger } from "./http-server.ts";

/**
 * The topic rule's HTTP action: shadow update documents and presence events POSTed to one destination
 * URL, as the AWS IoT rules engine does (see this app's README). The destination is confirmed
 * first; until then messages are queued. Delivery is at least once and unordered: a failed POST is retried
 * with backoff while other messages go on through a small pool of concurrent requests.
 *
 * Message bodies are never logged: desired command args can carry Wi-Fi credentials.
 */

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const httpUrl = z.url({ protocol: /^https?$/ });

/** A URL as logged: origin and path, without a query that may carry a key. */
export function loggableUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export const ruleDestinationSpecSchema = z
  .strictObject({
    url: httpUrl,
    headers: z.record(z.string().regex(HEADER_NAME), z.string().max(4096)).optional(),
    batchSize: z.number().int().min(1).max(100).optional(),
    /** Where the confirmation goes; must be a prefix of `url`, as AWS requires. Default `url`. */
    confirmationUrl: httpUrl.optional(),
  })
  .refine((spec) => spec.confirmationUrl === undefined || spec.url.startsWith(spec.confirmationUrl), {
    message: "confirmationUrl must be a prefix of url",
    path: ["confirmationUrl"],
  });

export type RuleDestinationSpec = z.infer<typeof ruleDestinationSpecSchema>;

export const ruleChaosSchema = z.strictObject({
  duplicate: z.boolean().optional(),
  reorder: z.boolean().optional(),
});

export type RuleChaos = z.infer<typeof ruleChaosSchema>;

export type RuleDestinationStatus = "PENDING" | "ENABLED";

export interface RuleDestinationView {
  url: string;
  confirmationUrl: string;
  /** Names only: the values are often secrets. */
  headerNames: string[];
  batchSize: number;
  arn: string;
  status: RuleDestinationStatus;
  confirmationToken: string;
  enableUrl: string;
  /** Messages delivered (a batch counts each of its messages). */
  delivered: number;
  /** Failed delivery attempts (non-2xx or network error); each is retried. */
  failed: number;
  /** Messages not delivered yet: waiting for confirmation, for a free slot, for a retry, or in flight. */
  queued: number;
  /** Messages given up on after retrying for `maxRetryMs`. */
  dropped: number;
  chaos: Required<RuleChaos>;
}

/** What a message is, for logs; its body is never logged. */
export interface MessageLabel {
  thingName: string;
  messageType: "shadow-document" | "presence";
}

interface Message {
  body: unknown;
  label: MessageLabel;
}

interface Batch {
  messages: Message[];
  attempts: number;
  firstTriedAt?: number;
}

interface Destination {
  spec: RuleDestinationSpec & { batchSize: number; confirmationUrl: string; headers: Record<string, string> };
  arn: string;
  token: string;
  status: RuleDestinationStatus;
  delivered: number;
  failed: number;
  dropped: number;
}

export interface RuleDestinationsOptions {
  region: string;
  accountId: string;
  /** The emulator's own URL, for the enableUrl sent in the confirmation. */
  baseUrl(): string;
  logger?: EmulatorLogger;
  /** Concurrent deliveries (AWS runs many at once; 16 keeps a local destination busy). Default 16. */
  concurrency?: number;
  /** Backoff of the first retry; doubled each time up to retryCapMs. Default 200 ms. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** How long a message is retried before it is dropped. Default 15 minutes. */
  maxRetryMs?: number;
  /** How long a partial batch waits for more messages. Default 100 ms. */
  batchWindowMs?: number;
  /** How long the "reorder" chaos holds messages before sending them shuffled. Default 150 ms. */
  reorderWindowMs?: number;
}

export class RuleDestinations {
  private destination: Destination | undefined;
  /** Messages not yet sent (all of them while the destination is PENDING). */
  private queue: Message[] = [];
  /** Failed batches whose backoff ran out: sent again before new messages. */
  private retryReady: Batch[] = [];
  /** Failed batches waiting out their backoff. */
  private readonly retryWaiting = new Map<Batch, NodeJS.Timeout>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = new Set<Batch>();
  private held: Message[] = [];
  private holdTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerExpired = false;
  private chaos: Required<RuleChaos> = { duplicate: false, reorder: false };
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly options: RuleDestinationsOptions) {}

  private get concurrency() {
    return this.options.concurrency ?? 16;
  }

  /** Configures (or replaces) the destination and starts its confirmation; undelivered messages carry over. */
  configure(input: RuleDestinationSpec): RuleDestinationView {
    const spec = ruleDestinationSpecSchema.parse(input);
    const carried = this.takeUndelivered();
    const destination: Destination = {
      spec: {
        ...spec,
        headers: { ...spec.headers },
        batchSize: spec.batchSize ?? 1,
        confirmationUrl: spec.confirmationUrl ?? spec.url,
      },
      arn: `arn:aws:iot:${this.options.region}:${this.options.accountId}:ruledestination/http/${randomUUID()}`,
      // AWS tokens are long opaque strings; hex keeps this one path-safe.
      token: randomBytes(32).toString("hex"),
      status: "PENDING",
      delivered: 0,
      failed: 0,
      dropped: 0,
    };
    this.destination = destination;
    this.queue = carried;
    this.options.logger?.info(
      { url: loggableUrl(spec.url), batchSize: destination.spec.batchSize, queued: carried.length },
      "rule destination configured, confirming",
    );
    void this.sendConfirmation(destination);
    return this.view() as RuleDestinationView;
  }

  /** Removes the destination; messages not delivered are dropped (no rule, no delivery). */
  remove(): boolean {
    const had = this.destination !== undefined;
    this.destination = undefined;
    this.takeUndelivered();
    this.held = [];
    return had;
  }

  /** Confirms the destination with the token from its confirmation message; false for an unknown token. */
  confirm(token: string): boolean {
    const destination = this.destination;
    if (destination === undefined || destination.token !== token) return false;
    if (destination.status !== "ENABLED") {
      destination.status = "ENABLED";
      this.options.logger?.info({ queued: this.queue.length }, "rule destination confirmed");
    }
    this.pump();
    return true;
  }

  setChaos(chaos: RuleChaos): Required<RuleChaos> {
    const parsed = ruleChaosSchema.parse(chaos);
    this.chaos = { duplicate: parsed.duplicate ?? false, reorder: parsed.reorder ?? false };
    if (!this.chaos.reorder) this.releaseHeld();
    return { ...this.chaos };
  }

  view(): RuleDestinationView | undefined {
    const destination = this.destination;
    if (destination === undefined) return undefined;
    const { spec } = destination;
    const waiting = [...this.retryReady, ...this.retryWaiting.keys(), ...this.inFlight].reduce(
      (sum, batch) => sum + batch.messages.length,
      0,
    );
    return {
      url: spec.url,
      confirmationUrl: spec.confirmationUrl,
      headerNames: Object.keys(spec.headers),
      batchSize: spec.batchSize,
      arn: destination.arn,
      status: destination.status,
      confirmationToken: destination.token,
      enableUrl: this.enableUrl(destination),
      delivered: destination.delivered,
      failed: destination.failed,
      queued: this.queue.length + this.held.length + waiting,
      dropped: destination.dropped,
      chaos: { ...this.chaos },
    };
  }

  /** Hands a message to the rule; without a destination there is no rule and it goes nowhere. */
  publish(body: unknown, label: MessageLabel): void {
    if (this.destination === undefined || this.closed) return;
    const copies = this.chaos.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.chaos.reorder) this.hold({ body, label });
      else this.queue.push({ body, label });
    }
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    for (const timer of [...this.timers, ...this.retryWaiting.values()]) clearTimeout(timer);
    this.timers.clear();
    this.retryWaiting.clear();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
  }

  private enableUrl(destination: Destination): string {
    // As on AWS, the enableUrl is the ConfirmTopicRuleDestination path: a GET on it confirms, unsigned.
    return `${this.options.baseUrl()}/confirmdestination/${destination.token}`;
  }

  private hold(message: Message): void {
    this.held.push(message);
    if (this.holdTimer !== undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.releaseHeld();
    }, this.options.reorderWindowMs ?? 150);
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    // Fisher–Yates: each order equally likely, so a consumer cannot come to rely on one.
    for (let i = held.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [held[i], held[j]] = [held[j] as Message, held[i] as Message];
    }
    this.queue.push(...held);
    this.pump();
  }

  /** Every message not yet delivered, out of the delivery machinery (in-flight ones finish on their own). */
  private takeUndelivered(): Message[] {
    const messages = [...this.retryReady.flatMap((batch) => batch.messages), ...this.queue];
    for (const [batch, timer] of this.retryWaiting) {
      clearTimeout(timer);
      messages.push(...batch.messages);
    }
    this.retryWaiting.clear();
    this.retryReady = [];
    this.queue = [];
    return messages;
  }

  private backoff(attempt: number): number {
    const base = this.options.retryBaseMs ?? 200;
    const cap = this.options.retryCapMs ?? 5_000;
    const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
    // Jitter keeps retries of many messages from arriving at the destination in lockstep.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async post(url: string, headers: Record<string, string>, body: unknown): Promise<number> {
    const response = await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(10_000)]),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  }

  /** The confirmation message, retried with backoff until the destination answers 2xx (or is replaced). */
  private async sendConfirmation(destination: Destination): Promise<void> {
    const url = new URL(destination.spec.confirmationUrl);
    url.searchParams.set("confirmationToken", destination.token);
    const body = {
      arn: destination.arn,
      confirmationToken: destination.token,
      enableUrl: this.enableUrl(destination),
      messageType: "DestinationConfirmation",
    };
    const headers = {
      "x-amz-rules-engine-message-type": "DestinationConfirmation",
      "x-amz-rules-engine-destination-arn": destination.arn,
    };
    for (let attempt = 1; ; attempt++) {
      if (this.closed || this.destination !== destination || destination.status === "ENABLED") return;
      let outcome: string;
      try {
        const status = await this.post(url.href, headers, body);
        if (status >= 200 && status < 300) {
          this.options.logger?.info(
            { url: loggableUrl(destination.spec.confirmationUrl), status },
            "rule destination confirmation sent",
          );
          return;
        }
        outcome = `status ${status}`;
      } catch (error) {
        outcome = (error as Error).name === "AbortError" ? "aborted" : (error as Error).message;
      }
      if (this.closed) return;
      this.options.logger?.warn(
        { url: loggableUrl(destination.spec.confirmationUrl), attempt, outcome },
        "rule destination confirmation failed, retrying",
      );
      await this.delay(this.backoff(attempt));
    }
  }

  /** Starts as many deliveries as the pool allows: retries first, then new messages. */
  private pump(): void {
    const destination = this.destination;
    if (this.closed || destination === undefined || destination.status !== "ENABLED") return;
    const size = destination.spec.batchSize;
    while (this.inFlight.size < this.concurrency) {
      const retry = this.retryReady.shift();
      if (retry !== undefined) {
        void this.deliver(destination, retry);
        continue;
      }
      if (this.queue.length === 0) return;
      if (size > 1 && this.queue.length < size && !this.lingerExpired) {
        // A partial batch waits briefly for more messages, then goes as it is.
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined;
          this.lingerExpired = true;
          try {
            this.pump();
          } finally {
            this.lingerExpired = false;
          }
        }, this.options.batchWindowMs ?? 100);
        return;
      }
      void this.deliver(destination, { messages: this.queue.splice(0, size), attempts: 0 });
    }
  }

  private async deliver(destination: Destination, batch: Batch): Promise<void> {
    this.inFlight.add(batch);
    batch.attempts++;
    batch.firstTriedAt ??= Date.now();
    const body = destination.spec.batchSize > 1 ? batch.messages.map((m) => m.body) : batch.messages[0]?.body;
    let outcome: string;
    let ok = false;
    try {
      const status = await this.post(destination.spec.url, destination.spec.headers, body);
      ok = status >= 200 && status < 300;
      outcome = `status ${status}`;
    } catch (error) {
      outcome = (error as Error).name === "AbortError" ? "aborted" : (error as Error).message;
    } finally {
      this.inFlight.delete(batch);
    }
    const labels = batch.messages.map((m) => m.label);
    if (ok) {
      destination.delivered += batch.messages.length;
      this.options.logger?.debug({ messages: labels, outcome }, "rule message delivered");
    } else if (!this.closed) {
      destination.failed++;
      this.retry(destination, batch, labels, outcome);
    }
    this.pump();
  }

  private retry(destination: Destination, batch: Batch, labels: MessageLabel[], outcome: string): void {
    if (this.destination !== destination) {
      // Replaced while in flight: the messages go to the new destination (or nowhere, if removed).
      if (this.destination !== undefined) this.queue.push(...batch.messages);
      return;
    }
    if (Date.now() - (batch.firstTriedAt ?? Date.now()) > (this.options.maxRetryMs ?? 15 * 60_000)) {
      destination.dropped += batch.messages.length;
      this.options.logger?.error({ messages: labels, outcome }, "rule message dropped after retrying");
      return;
    }
    const wait = this.backoff(batch.attempts);
    this.options.logger?.warn(
      { messages: labels, attempt: batch.attempts, outcome, retryInMs: wait },
      "rule message delivery failed, retrying",
    );
    const timer = setTimeout(() => {
      this.retryWaiting.delete(batch);
      this.retryReady.push(batch);
      this.pump();
    }, wait);
    this.retryWaiting.set(batch, timer);
  }
}
