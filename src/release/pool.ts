/**
 * Runs `work` over `items`, at most `concurrency` at a time, and returns the results in the items' order.
 * `work` must not throw for one item's failure (a release build reports it as that target's result);
 * anything it throws is a bug and rejects the whole run once the running work has settled.
 */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, items.length));
  const settled = await Promise.allSettled(Array.from({ length: lanes }, lane));
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return results;
}
