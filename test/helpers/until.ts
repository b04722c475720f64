/** Polls `probe` until `done` holds (for effects in other processes or threads); fails naming `what` and the last value. */
export async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${Array.isArray(v) ? `${v.length} found` : JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
