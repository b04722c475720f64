import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Counts the time this process's main thread spends paused for garbage collection (every kind:
 * scavenges, mark-compact pauses, incremental steps); returns a reader of the seconds so far.
 */
export function watchGcPauses(): () => number {
  let ms = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) ms += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  return () => ms / 1000;
}
