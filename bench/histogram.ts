/** Bucket width: 10 µs, fine enough for millisecond latencies and small enough to ship between processes. */
const BUCKETS_PER_MS = 100;

/** A histogram as `[bucket, count]` pairs, the form it travels in between processes. */
export type HistogramEntries = readonly (readonly [number, number])[];

/** Latency histogram (ms) with fixed 10 µs buckets; mergeable, so each load worker keeps its own. */
export class Histogram {
  private readonly counts = new Map<number, number>();
  private total = 0;

  static from(entries: HistogramEntries): Histogram {
    const h = new Histogram();
    h.add(entries);
    return h;
  }

  get count(): number {
    return this.total;
  }

  record(ms: number): void {
    const bucket = Math.round(ms * BUCKETS_PER_MS);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total += 1;
  }

  add(entries: HistogramEntries): void {
    for (const [bucket, n] of entries) {
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
      this.total += n;
    }
  }

  entries(): HistogramEntries {
    return [...this.counts];
  }

  /** The value below which `p` percent of samples fall (nearest rank), in ms; NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) as number;
      if (seen >= rank) return bucket / BUCKETS_PER_MS;
    }
    return Number.NaN;
  }
}
