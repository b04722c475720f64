/** Polls `probe` until `done` holds (for effects in other processes or threads); fails naming `what` and the last value. */
export async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}: ${shown(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last value, briefly: a short list of plain values in full, a longer list by its length. */
function shown(v: unknown): string {
  if (!Array.isArray(v)) return JSON.stringify(v);
  return v.length <= 10 && v.every((x) => typeof x !== 'object' || x === null) ? JSON.stringify(v) : `${v.length} found`;
}
