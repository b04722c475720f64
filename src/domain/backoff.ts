/**
 * Exponential back-off with "full jitter" [AWS Architecture Blog, "Exponential Backoff and
 * Jitter"]: the n-th consecutive failure waits a random time in [base·2ⁿ⁻¹ / 2, base·2ⁿ⁻¹], capped,
 * so many gateways recovering together do not hammer a server in step. A server's Retry-After wins
 * when it asks for longer.
 */
export function backoffMs(failures: number, policy: { baseMs: number; maxMs: number }, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  const wait = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.max(wait, retryAfterMs ?? 0);
}
