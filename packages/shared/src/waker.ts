import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/**
 * A sleep that something else can cut short: a loop waits on it while idle, and a producer of new
 * work (a freed slot, a report that unblocks a hub's next event) wakes it.
 */
export function createWaker() {
  let wake: (() => void) | undefined;
  return {
    sleep(ms: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          if (wake === done) wake = undefined;
          resolve();
        }
        wake = done;
      });
    },
    wake(): void {
      wake?.();
    },
  };
}

/** This process' name in the leases it holds (log consumers, deliveries): host, pid and a random suffix (pids repeat across restarts). */
export const defaultOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
