/**
 * A minimal DataLoader: keys asked for while one GraphQL request resolves a list are collected
 * and loaded with one call, so a page of 50 hubs asking for `lastEvent` makes one hub-service
 * call (and hub-service one SQL statement), not 50. One loader per request: nothing is cached
 * across requests or callers.
 */
export function createBatchLoader<K, V>(
  loadMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>,
): (key: K) => Promise<V | null> {
  let pending: { key: K; resolve: (value: V | null) => void; reject: (error: unknown) => void }[] = [];
  const dispatch = () => {
    const batch = pending;
    pending = [];
    loadMany([...new Set(batch.map((item) => item.key))]).then(
      (values) => {
        for (const item of batch) item.resolve(values.get(item.key) ?? null);
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  };
  return (key) =>
    new Promise<V | null>((resolve, reject) => {
      // After the current macrotask: every sibling resolver of the list has asked by then.
      if (pending.length === 0) setImmediate(dispatch);
      pending.push({ key, resolve, reject });
    });
}
