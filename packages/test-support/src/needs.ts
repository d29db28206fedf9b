import { existsSync } from "node:fs";
import { testEngine } from "./databases.ts";
import { testEnv } from "./env.ts";

/*
 * Tests that need a server run when the server is configured, and then fail if it does not
 * answer: they never decide by themselves to skip. Their group's title carries the requirement,
 * `describe.runIf(hasPostgres())(\`… (${NEEDS_POSTGRES})\`)`, so a skip is never silent: the skip
 * reporter prints it, and fails the run for a skipped test whose title gives no reason.
 */
export const NEEDS_POSTGRES = "needs TEST_DATABASE_URL, a PostgreSQL server";
export const NEEDS_REDIS = "needs TEST_REDIS_URL, a Redis server";
export const NEEDS_NATS = "needs TEST_NATS_URL, a NATS server with JetStream";
/** The large variants of the load and fuzz tests: `npm run test:heavy`. */
export const NEEDS_HEAVY = "needs HEAVY=1, npm run test:heavy";

export const hasPostgres = (): boolean => testEngine() === "postgresql";
export const hasRedis = (): boolean => testEnv().TEST_REDIS_URL !== undefined;
export const hasNats = (): boolean => testEnv().TEST_NATS_URL !== undefined;
export const NEEDS_CHROMIUM = "needs Chromium: apt-get install chromium, or CHROMIUM_PATH";
export const hasChromium = (): boolean => existsSync(testEnv().CHROMIUM_PATH);

/** The reason in a skipped test's title, as the reporter finds it. */
export const SKIP_REASON = /\(needs [^)]+\)/;
