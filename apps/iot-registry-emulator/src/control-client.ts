import type { FaultSpec, RequestCounts } from "./http-server.ts";

/**
 * A client of the emulator's control API (`/__emulator/*`), for `npm start` and tests: devices
 * connecting or dropping off, faults, and the request counts tests wait on.
 */
export function emulatorControl(baseUrl: string) {
  async function post(path: string, body: unknown, what: string): Promise<Response> {
    const response = await fetch(new URL(path, baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`the registry emulator refused ${what}: ${response.status}`);
    return response;
  }
  return {
    /** The device of Thing `name` connects (or drops off), as GetThingConnectivityData then reports. */
    async setConnected(name: string, connected: boolean): Promise<void> {
      await post(
        `/__emulator/things/${encodeURIComponent(name)}/connectivity`,
        { connected },
        `to connect ${name}`,
      );
    },
    async setFault(fault: FaultSpec): Promise<void> {
      await post("/__emulator/fault", fault, "the fault");
    },
    async requests(): Promise<RequestCounts> {
      const response = await fetch(new URL("/__emulator/requests", baseUrl));
      if (!response.ok) throw new Error(`the registry emulator's request counts answered ${response.status}`);
      return (await response.json()) as RequestCounts;
    },
  };
}
