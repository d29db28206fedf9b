import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { useTestDatabase } from "./support/database.ts";
import { createShadowServer } from "./support/shadow-server.ts";
import { useHubService } from "./support/system.ts";

// The app's data plane: built from the environment, metered, reported in /readyz, and never a
// reason to be unready (provisioning and reads do not need shadows).
const shadows = createShadowServer();
let shadowUrl = "";
beforeAll(async () => {
  shadowUrl = await shadows.listen();
});
afterEach(() => shadows.setFault(undefined));
afterAll(() => shadows.close());

const db = useTestDatabase();
// The overrides are read when the service starts (its beforeAll, after the one above): a getter.
const system = useHubService(db, {
  get IOT_DATA_ENDPOINT() {
    return shadowUrl;
  },
  IOT_MAX_ATTEMPTS: "1",
  IOT_BREAKER_THRESHOLD: "2",
  IOT_BREAKER_COOLDOWN_MS: "60000",
});

const readiness = async () => {
  const response = await fetch(`${system.current.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
};

it("an open data-plane breaker is reported and metered, and the instance stays ready", async () => {
  const { app } = system.current;
  expect(await app.dataPlane.updateShadow("wired-thing", { state: { desired: { a: 1 } } })).toMatchObject({
    outcome: "accepted",
    version: 1,
  });
  expect(shadows.received.at(-1)).toMatchObject({ method: "POST", thing: "wired-thing" });

  shadows.setFault({ status: 503, code: "ServiceUnavailableException" });
  for (let i = 0; i < 2; i++)
    expect(await app.dataPlane.updateShadow("wired-thing", { state: {} })).toMatchObject({
      outcome: "unavailable",
    });
  expect(app.dataPlane.breakerState("UpdateThingShadow")).toBe("open");

  const ready = await readiness();
  expect(ready.status).toBe(200);
  expect(ready.body.checks).toMatchObject({
    iotRegistryBreaker: "closed",
    shadowGetBreaker: "closed",
    shadowUpdateBreaker: "open",
    shadowDeleteBreaker: "closed",
  });
  const metrics = await app.metrics.registry.metrics();
  expect(metrics).toMatch(/hub_iot_data_plane_breaker_state\{operation="UpdateThingShadow",state="open"\} 1/);
  expect(metrics).toMatch(
    /hub_iot_data_plane_call_duration_seconds_count\{operation="UpdateThingShadow",outcome="accepted"\} 1/,
  );
  expect(metrics).toMatch(
    /hub_iot_data_plane_call_duration_seconds_count\{operation="UpdateThingShadow",outcome="unavailable"\} 2/,
  );
});
