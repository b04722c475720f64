const started = performance.now();

/** One progress line on stderr, stamped with the seconds since the bench began (stdout keeps only the results). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}
