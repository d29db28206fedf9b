import { createRegistryServer, MemoryRegistryStore } from "@hub/iot-registry-emulator";
import { afterAll, expect, it } from "vitest";
import { createIotDataPlane } from "../src/iot/iot-data-plane.ts";

// The SDK retries a throttled attempt itself, with a back-off that can outlast our deadline: such
// a call is throttled (503 with Retry-After for its caller), never "AWS does not answer" (502),
// and it never opens the breaker.
const emulator = createRegistryServer({ store: new MemoryRegistryStore() });
afterAll(() => emulator.close());

it("a throttled shadow update is throttled, whether the SDK's retries end before the deadline or not", async () => {
  const { url } = await emulator.listen(0, "127.0.0.1");
  const plane = createIotDataPlane({
    region: "us-east-1",
    endpoint: url,
    credentials: { accessKeyId: "t", secretAccessKey: "t" },
    deadlineMs: 1500,
    attemptTimeoutMs: 400,
    maxAttempts: 3,
    breakerThreshold: 2,
    breakerCooldownMs: 10_000,
  });
  emulator.faults.setFault({ mode: "throttle", operations: ["UpdateThingShadow"] });
  try {
    for (let i = 0; i < 4; i++) {
      const outcome = await plane.updateShadow("thing-throttled", { state: { desired: { n: i } } });
      expect(outcome).toMatchObject({ outcome: "unavailable", throttled: true, retryAfterSeconds: 1 });
    }
    expect(plane.breakerState("UpdateThingShadow")).toBe("closed");
  } finally {
    emulator.faults.clear();
    plane.close();
  }
});
