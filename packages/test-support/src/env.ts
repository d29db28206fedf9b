import { z } from "zod";

const schema = z.object({
  /** A PostgreSQL server for the tests (CI sets it); unset: embedded PGlite. */
  TEST_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).optional(),
  /** `pglite` runs on PGlite even when TEST_DATABASE_URL is set (CI's second pass). */
  TEST_DATABASE_ENGINE: z.enum(["pglite", "postgresql"]).optional(),
  /** A Redis server for the shared rate-limit store's tests (CI sets it); unset: those tests skip. */
  TEST_REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// URL" }).optional(),
  /** A NATS server with JetStream for the relay's JetStream tests (CI sets it); unset: they skip. */
  TEST_NATS_URL: z.url({ protocol: /^(nats|tls)$/, error: "must be a nats:// URL" }).optional(),
  /** The Chromium the browser tests drive (Debian's `chromium` package by default). */
  CHROMIUM_PATH: z.string().min(1).default("/usr/bin/chromium"),
});

export type TestEnv = z.infer<typeof schema>;

let parsed: TestEnv | undefined;

/** The test harness's settings, parsed once; a malformed value fails the run with its name. */
export function testEnv(): TestEnv {
  if (parsed) return parsed;
  const result = schema.safeParse(process.env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid test environment: ${problems.join("; ")}`);
  }
  parsed = result.data;
  return parsed;
}

/**
 * The environment a child process (a service, the Prisma CLI) inherits from the test run, with
 * `overrides` on top: PATH, HOME and the like must reach it.
 */
export function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
