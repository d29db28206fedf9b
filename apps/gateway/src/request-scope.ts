import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The time budget of the request being served: every hub-service call made for it (REST handler,
 * GraphQL resolver, batched loader) forwards what is left, and hub-service neither starts nor
 * appends a command once it has run out — the gateway would no longer be waiting for the answer.
 */
const scope = new AsyncLocalStorage<{ readonly deadline: number }>();

export function withDeadline<T>(deadline: number, work: () => T): T {
  return scope.run({ deadline }, work);
}

/** Milliseconds left for the current request (at least 1), or undefined outside a request. */
export function remainingBudgetMs(now = Date.now()): number | undefined {
  const current = scope.getStore();
  return current ? Math.max(1, Math.round(current.deadline - now)) : undefined;
}
