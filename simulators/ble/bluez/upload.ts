/**
 * How devices send measurements, as characteristic behaviours for device models: `Upload` holds
 * stored measurements and indicates them once the client enables indications (a cuff, scale or
 * thermometer uploading after connect); `Stream` notifies a fresh value every period while
 * notifications are on (a heart-rate strap, a continuous oximeter). Both stop when the link goes.
 */
import type { CharacteristicDefinition, CharacteristicFlag } from './gatt.js';

/** Sending side of a device, as `SimulatedDevice` offers it. */
export interface Link {
  send(uuid: number | string, value: Uint8Array): boolean;
  notifying(uuid: number | string): boolean;
}

/** Stored measurements, each indicated once and forgotten only when it went out. */
export class Upload {
  private readonly pending: Uint8Array[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: Link,
    private readonly uuid: number,
    private readonly intervalMs: number,
  ) {}

  /** Not yet sent, oldest first. */
  get queued(): readonly Uint8Array[] {
    return this.pending;
  }

  /** The characteristic that carries the uploads. */
  characteristic(flags: readonly CharacteristicFlag[] = ['indicate']): CharacteristicDefinition {
    return { uuid: this.uuid, flags, notifying: (on) => (on ? this.start() : this.stop()) };
  }

  /** Stores a measurement; sent at once if the client is listening. */
  push(value: Uint8Array): void {
    this.pending.push(value);
    if (this.link.notifying(this.uuid)) this.start();
  }

  private start(): void {
    if (this.timer !== undefined) return;
    const tick = (): void => {
      const next = this.pending[0];
      if (next === undefined || !this.link.send(this.uuid, next)) return this.stop();
      this.pending.shift();
      if (this.pending.length === 0) return this.stop();
      this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A value every `periodMs` while notifications are on; `next(i)` builds the i-th (from 0). */
export class Stream {
  private timer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(
    private readonly link: Link,
    private readonly uuid: number,
    private readonly periodMs: number,
    private readonly next: (i: number) => Uint8Array,
  ) {}

  /** Values sent so far, over all connections. */
  get sent(): number {
    return this.count;
  }

  characteristic(flags: readonly CharacteristicFlag[] = ['notify']): CharacteristicDefinition {
    return { uuid: this.uuid, flags, notifying: (on) => (on ? this.start() : this.stop()) };
  }

  private start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.link.send(this.uuid, this.next(this.count))) this.count += 1;
    }, this.periodMs);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
