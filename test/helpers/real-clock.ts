/**
 * This process's environment without libfaketime, for a server that must run on the real clock.
 * CI runs the suite a second and third time under `faketime`, which reaches child processes through
 * LD_PRELOAD and FAKETIME*. Chromium under it took some 45 s to start (about 1 s without); under it
 * PostgreSQL's timers never fire, so a deadlock is never detected and its transactions wait for
 * ever (`deadlock_timeout`; measured: detected after 1 s on the real clock, not within 10 s under
 * `faketime -f +400d`). Neither server's clock is the gateway's: the gateway passes its times in
 * (PostgreSQL stores the times it is given), and the pages take their time ranges from the gateway.
 */
export function realClockEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key.startsWith('FAKETIME') || key === 'DONT_FAKE_MONOTONIC') continue;
    if (key === 'LD_PRELOAD') {
      const kept = value.split(/[\s:]+/).filter((lib) => lib !== '' && !/faketime/i.test(lib));
      if (kept.length > 0) out[key] = kept.join(':');
      continue;
    }
    out[key] = value;
  }
  return out;
}
