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
