/** Where progress goes: stderr, usually. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** What the progress line shows. */
export interface ProgressSnapshot {
  /** 0–1 */
  readonly fraction: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly rejected: number;
  readonly errors: number;
}

const BAR_WIDTH = 24;
const TTY_INTERVAL_MS = 200;
const LINE_INTERVAL_MS = 5000;

export function formatProgress(s: ProgressSnapshot): string {
  const pct = Math.floor(s.fraction * 100);
  return `${String(pct).padStart(3)}% sent ${s.sent}  acked ${s.acknowledged}  rejected ${s.rejected}  errors ${s.errors}`;
}

/**
 * Progress on a terminal: one bar redrawn in place; elsewhere (a log, a CI job) a plain line every
 * few seconds. Timers are unref'd, so a forgotten reporter never keeps the process alive.
 */
export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private readonly snapshot: () => ProgressSnapshot,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.draw(), this.stream.isTTY === true ? TTY_INTERVAL_MS : LINE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Draws the final state and stops. Idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.stream.isTTY === true) this.stream.write('\n');
  }

  private draw(): void {
    const s = this.snapshot();
    if (this.stream.isTTY !== true) {
      this.stream.write(`simulate: ${formatProgress(s).trim()}\n`);
      return;
    }
    const filled = Math.round(s.fraction * BAR_WIDTH);
    // \r back to the line's start, ESC[K clears what the previous draw left [ECMA-48 EL]
    this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${formatProgress(s)}\x1b[K`);
  }
}
