import { cloneTemplate, type TestDatabase } from "@hub/test-support";
import { afterAll, beforeAll, inject } from "vitest";
import { createDatabase, type Database, type DatabaseOptions } from "../../src/db/client.ts";

/** One fresh, migrated database for the calling test file, dropped after it. */
export function useTestDatabase(options: Pick<DatabaseOptions, "onStatement"> = {}): {
  readonly current: Database;
  readonly url: string;
} {
  let testDb: TestDatabase | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    testDb = await cloneTemplate(inject("dbTemplate"));
    db = await createDatabase({ url: testDb.url, ...options });
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });
  return {
    get current() {
      if (!db) throw new Error("test database not ready (use it inside a test)");
      return db;
    },
    get url() {
      if (!testDb) throw new Error("test database not ready (use it inside a test)");
      return testDb.url;
    },
  };
}
