/** When the bench began (epoch ms): a process it starts is told, so its progress lines count from the same start. */
const STARTED_ENV = 'VG_BENCH_STARTED_MS';
const started = Number(process.env[STARTED_ENV]) || Date.now();

/** One progress line on stderr, stamped with the seconds since the bench began (stdout keeps only the results). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

/** The environment that makes a child process's progress lines count from the bench's start. */
export const progressClock = (): Record<string, string> => ({ [STARTED_ENV]: String(started) });
