import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The time budget of the request being served: every hub-service call made for it (REST handler,
 * GraphQL resolver, batched loader) forwards what is left, and hub-service neither starts nor
 * appends a command once it has run out — the gateway would no longer be waiting for the answer.
 * The budget starts at the request's first hub-service call (as the gateway's own wait does), so a
 * slow upload or the credential check does not eat into what hub-service may use.
 */
const scope = new AsyncLocalStorage<{ readonly budgetMs: number; deadline?: number }>();

export function withBudget<T>(budgetMs: number, work: () => T): T {
  // What hub-service may use: the gateway's own wait less the time its answer needs to arrive
  // (a tenth, at most 500 ms), so work done just before the deadline is still answered — a batch
  // whose last items land at the deadline is reported, not lost to the gateway's timeout.
  return scope.run({ budgetMs: budgetMs - Math.min(500, budgetMs / 10) }, work);
}

/**
 * What is left for the current request, or undefined outside a request: the milliseconds left (at
 * least 1) and the deadline itself (epoch ms). Both travel with every call: the deadline makes
 * time spent in transit count (a call held in a partition past it is refused unexecuted), the
 * remaining time bounds what a hub-service whose clock is behind ours could add.
 */
export function remainingBudget(now = Date.now()): { budgetMs: number; deadlineAt: number } | undefined {
  const current = scope.getStore();
  if (!current) return undefined;
  current.deadline ??= now + current.budgetMs;
  return {
    budgetMs: Math.max(1, Math.round(current.deadline - now)),
    deadlineAt: Math.ceil(current.deadline),
  };
}
