/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order.
 * Provisioning (scrypt in a child process) and connecting (scrypt on the gateway) are both
 * CPU-bound on the other side, so a few at a time finish sooner than all at once.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
