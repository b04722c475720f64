import type { CareStore } from '../care/store.js';
import type { LoadedConfig } from '../config/index.js';
import type { Clock } from '../domain/index.js';
import type { Closers } from '../lifecycle.js';
import type { GatewayMetrics, Logger } from '../observability/index.js';
import type { AlertEngine } from '../outputs/alerts/index.js';
import type { DerivationSource } from '../outputs/fhir/index.js';
import type { LaneSource, OutboxSource } from '../outputs/outbox/index.js';
import type { CommitQueue, ReadingLookup, ReadingWriter } from '../pipeline/index.js';
import type { ProfileCatalog } from '../profiles/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { BrokerCredentialStore } from '../store/broker-credential-store.js';
import type { SessionStore } from '../store/care-views.js';
import type { ClinicianStore } from '../store/clinician-store.js';
import type { DeviceStore } from '../store/device-store.js';
import type { OutboxStats } from '../store/outbox-store.js';
import type { LiveFeed } from '../web/index.js';

/** The store's ports the gateway wires: either adapter's store is one as it stands. */
export interface GatewayStore extends CareStore {
  readonly devices: EitherPort<DeviceStore>;
  readonly clinicians: EitherPort<ClinicianStore>;
  readonly brokerCredentials: EitherPort<BrokerCredentialStore>;
  readonly derived: EitherPort<DerivationSource>;
  readonly readings: CareStore['readings'] & ReadingLookup;
}

/** What the alert rules are built from, on either store. */
export interface AlertParts {
  readonly config: LoadedConfig;
  /** The gateway's group commit: the rules plan their changes into it. */
  readonly queue: CommitQueue;
  readonly profiles: ProfileCatalog;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly closers: Closers;
  /** Told once alert changes (and their deliveries) are durable. */
  readonly committed: () => void;
}

/**
 * Where a gateway keeps its data, and what that decides: the one store this gateway alone writes
 * (embedded SQLite), or a database that several workers share (PostgreSQL). The gateway wires
 * this port and never an adapter's class. What tells the two apart is said here once: how outputs
 * take their pending entries (all of them, or the ones this worker claims for a lease), how the
 * alert rules read the store, how browsers hear of commits, where sessions live.
 */
export interface Backend<S extends GatewayStore = GatewayStore> {
  /** The adapter's store, handed back in the gateway's parts (tests and tools read it). */
  readonly store: S;
  /** Where the data is, for the log: a file, or the database's kind (never its URL, which may hold a password). */
  readonly where: string;
  /**
   * Whether other workers share the store. Their secret keys must then be the same on each: read,
   * never made.
   */
  readonly shared: boolean;
  /** Where the group commit writes: the store, or a thread of its own beside it. */
  readonly writer: ReadingWriter;
  /** Browser sessions: in this process, or in the shared database (any worker serves a browser). */
  readonly sessions: EitherPort<SessionStore>;
  /**
   * The ports that answer at once, for the parts that run only beside the embedded broker (its
   * revocation watches, the Bluetooth bridge): on a store of this gateway's own, else undefined.
   */
  readonly local: { readonly devices: DeviceStore; readonly clinicians: ClinicianStore } | undefined;
  isOpen(): boolean;
  /**
   * Where an output (InfluxDB, FHIR) takes its pending entries of `sink`: its own store's (their
   * payloads held as `queue`'s commits wrote them), or those this worker claims from a shared store
   * for `leaseMs`.
   */
  outputSource(sink: string, leaseMs: number, queue: CommitQueue): OutboxSource;
  /** Where alert deliveries' lanes take their pending entries; `leaseMs` as for {@link outputSource}. */
  laneSource(leaseMs: number): LaneSource;
  /** An outbox's size as `/metrics` and `/healthz` read it without waiting: at once, or polled. */
  outboxStats(sink: string): Promise<() => OutboxStats>;
  /** The alert rules over this store, planning into the group commit (started when `alerts.enabled`). */
  alertEngine(parts: AlertParts): Promise<AlertEngine>;
  /** Whose turn it is to derive summaries, renewed for `leaseMs` (undefined: always this gateway's). */
  derivationTurn(leaseMs: number): (() => Promise<boolean>) | undefined;
  /** Where browsers hear of commits: this gateway's, or every worker's. */
  liveFeed(queue: CommitQueue): LiveFeed;
}

/** Opens a backend, registering how to close each part it opens. */
export type OpenBackend<S extends GatewayStore> = (config: LoadedConfig, closers: Closers, log: Logger, clock: Clock) => Promise<Backend<S>>;
