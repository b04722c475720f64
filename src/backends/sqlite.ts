import { refreshed, type Clock } from '../domain/index.js';
import { AlertEngine, News2Watch, recipientsOf } from '../outputs/alerts/index.js';
import { HeldOutbox } from '../outputs/outbox/index.js';
import { alertsInCareRecord } from '../outputs/fhir/index.js';
import { fhirServiceId } from '../outputs/planner.js';
import type { ReadingWriter } from '../pipeline/index.js';
import { SqliteStore, SqliteWriterThread } from '../store/sqlite/index.js';
import { LiveFeed, MemorySessionStore } from '../web/index.js';
import type { AlertParts, OpenBackend } from './backend.js';

/**
 * Outbox payload held in memory for each output, in characters: about 16 MB, some 150,000 InfluxDB
 * points (several seconds of a saturated gateway); beyond it, an output that is down reads its
 * oldest rows back from the store when it answers again.
 */
const HELD_PAYLOAD_CHARS = 16 * 1024 * 1024;

/**
 * The embedded store: one SQLite file that this gateway alone writes (`dbFile`), its commits on a
 * thread of their own unless `store.writerThread` is false. Every pending entry is this gateway's
 * to send, and the alert rules keep what they need of the store in memory.
 */
export const sqliteBackend: OpenBackend<SqliteStore> = (config, closers) => {
  const store = new SqliteStore(config.dbFile);
  closers.push(() => store.close());
  let writer: ReadingWriter = store.readings;
  if (config.store.writerThread) {
    const thread = new SqliteWriterThread(config.dbFile);
    closers.push(() => thread.stop());
    writer = thread;
  }
  return Promise.resolve({
    store,
    where: config.dbFile,
    shared: false,
    writer,
    sessions: new MemorySessionStore(),
    local: { devices: store.devices, clinicians: store.clinicians },
    isOpen: () => store.isOpen(),
    outputSource(sink, _leaseMs, queue) {
      const held = new HeldOutbox(store.outbox, sink, HELD_PAYLOAD_CHARS);
      closers.push(queue.onCommitted((_batch, receipt) => held.committed(receipt.outbox ?? [])));
      return held;
    },
    laneSource: () => store.outbox,
    outboxStats: (sink) => Promise.resolve(() => store.outbox.stats(sink)),
    alertEngine: (parts) => Promise.resolve(alertEngine(store, parts)),
    derivationTurn: () => undefined,
    liveFeed(queue) {
      const live = new LiveFeed();
      closers.push(queue.onCommitted((batch) => live.committed(batch)));
      return live;
    },
  });
};

/**
 * The alert rules engine over the gateway's own store — thresholds, per-patient overrides,
 * escalation, live NEWS2, silent devices — taking in what it needs of the store as it starts.
 */
function alertEngine(store: SqliteStore, { config, queue, profiles, clock, metrics, log, closers, committed }: AlertParts): AlertEngine {
  const recipients = recipientsOf((nhs) => store.clinicians.cliniciansOf(nhs), (id) => store.clinicians.get(id), config.alerts.escalation.contacts);
  const alerts = new AlertEngine({
    store: {
      unresolved: () => store.alerts.unresolved(),
      breaches: () => store.alerts.breaches(),
      recipientsOf: recipients,
      existing: (keys) => store.readings.existingKeys(keys),
    },
    requestCommit: () => queue.submit({ readings: [], deadLetters: [], health: [] }),
    committed,
    clock,
    metrics,
    log,
  });
  if (config.fhir.url !== undefined) alerts.useCareRecord(alertsInCareRecord(fhirServiceId(config)));
  alerts.useOverrides(() => store.patients.overrides());
  alerts.useEscalation({ afterMs: config.alerts.escalation.afterMinutes * 60_000, contacts: config.alerts.escalation.contacts }, (id) => store.alerts.get(id));
  alerts.useNews2(new News2Watch(config.alerts.news2WindowMinutes * 60_000, (nhs, metric, since) => store.readings.latest(nhs, metric, since), spo2Scales(store, clock)));
  alerts.useCorrections(store.readings.latestCorrectionId(), (id) => store.readings.correctionsSince(id));
  closers.push(() => alerts.stop());
  if (!config.alerts.enabled) return alerts;
  void alerts.start(); // its own store: taken in before it returns
  const activity = () =>
    store.devices.activity().flatMap((d) => {
      const profile = profiles.get(d.profileId);
      return profile === undefined ? [] : [{ ...d, profile }];
    });
  alerts.watchSilence(activity, config.alerts.silenceCheckMs);
  // The alert rules plan their changes into the commit of the rows that cause them.
  queue.usePlanner(alerts);
  return alerts;
}

/** Each patient's NEWS2 SpO2 scale, re-read every few seconds (clinicians set it from the command line). */
function spo2Scales(store: SqliteStore, clock: Clock): (patientNhs: string) => 1 | 2 {
  const scales = refreshed(() => new Map(store.patients.allSettings().map((s) => [s.patientNhs, s.spo2Scale])), clock, 5_000);
  return (nhs) => scales().get(nhs) ?? 1;
}
