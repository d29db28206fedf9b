/**
 * One dependency check for `/readyz`, bounded in time. Orchestrators probe readiness with a short
 * timeout (1 s by default in Kubernetes); a check that waits for the database's own timeout
 * (seconds, during a partition) would be counted as a failed probe without saying why, and every
 * probe would leave one more query hanging. So: one probe in flight at a time, shared by the
 * requests that arrive meanwhile; each request waits for it at most `timeoutMs` and then answers
 * with the reason; a settled result is reused for `freshMs`.
 */
export function createBoundedCheck(
  probe: () => Promise<unknown>,
  options: { readonly timeoutMs: number; readonly freshMs: number },
): () => Promise<string> {
  let last: { readonly at: number; readonly value: string } | undefined;
  let inFlight: Promise<string> | undefined;
  return async () => {
    if (last && Date.now() - last.at < options.freshMs) return last.value;
    inFlight ??= probe()
      .then(
        () => "ok",
        () => "unavailable",
      )
      .then((value) => {
        last = { at: Date.now(), value };
        inFlight = undefined;
        return value;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    });
    try {
      return await Promise.race([inFlight, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
