import { notYetOnPostgres } from '../config/index.js';
import { GatewayError } from '../domain/index.js';
import { polled } from '../lifecycle.js';
import type { Logger } from '../observability/index.js';
import { AlertEngine, News2Watch, recipientsReadFrom } from '../outputs/alerts/index.js';
import { alertsInCareRecord, DERIVATION_NAME } from '../outputs/fhir/index.js';
import { fhirServiceId } from '../outputs/planner.js';
import type { Closers } from '../lifecycle.js';
import { PgStore } from '../store/postgres/index.js';
import { LiveFeed, liveEvents, livePayloads, parseLivePayload } from '../web/index.js';
import type { AlertParts, OpenBackend } from './backend.js';

/** How often outbox sizes are read for `/metrics` and `/healthz`. */
const STATS_POLL_MS = 5_000;
/** How often clinicians' per-patient settings are read (the embedded gateway's cache lasts as long). */
const SETTINGS_POLL_MS = 5_000;
/** The PostgreSQL notification channel of live updates. */
const LIVE_CHANNEL = 'vg_live';

/**
 * A database that several workers share (`store.postgres`), each on an external broker
 * (`broker.url`) taking its share of the devices' messages: a reading is stored once whichever
 * worker takes it, by its unique key. Each worker sends the outputs' entries it claims; a dead
 * worker's claims pass to another when their lease ends, and so do this worker's when their
 * results could not be recorded. Entries in flight stay claimed, so no cursor is needed.
 */
export const postgresBackend: OpenBackend<PgStore> = async (config, closers, log, clock) => {
  const postgres = config.store.postgres;
  const unsupported = notYetOnPostgres(config);
  if (postgres === undefined || unsupported.length > 0) throw new GatewayError('GW_CONFIG_INVALID', `invalid configuration:\n  ${unsupported.join('\n  ')}`);
  const store = await PgStore.open(postgres.url, { poolSize: postgres.poolSize });
  let open = true;
  closers.push(() => {
    open = false;
    return store.close();
  });
  return {
    store,
    where: 'PostgreSQL',
    shared: true,
    writer: store.readings,
    sessions: store.sessions,
    local: undefined,
    isOpen: () => open,
    outputSource: (_sink, leaseMs) => ({ pending: (sink, _afterId, limit) => store.outbox.claim(sink, config.gatewayId, limit, clock.now(), leaseMs) }),
    // Each drain holds the lanes (recipients) it sends for the lease, so a lane's deliveries go in order, each by one worker.
    laneSource: (leaseMs) => ({ lanes: (sink, skip, limit) => store.outbox.claimLanes(sink, config.gatewayId, skip, limit, clock.now(), leaseMs) }),
    // The size for `/metrics` and `/healthz`, read from the shared outbox every few seconds.
    outboxStats: (sink) => polled(() => store.outbox.stats(sink), STATS_POLL_MS, closers),
    alertEngine: (parts) => sharedAlertEngine({ ...parts, store }),
    // The worker holding the derivation's lease (renewed by each of its ticks; another's once it lapses) derives from what every worker stored.
    derivationTurn: (leaseMs) => () => store.derived.claim(DERIVATION_NAME, config.gatewayId, clock.now(), leaseMs),
    liveFeed: () => liveFeed(store, closers, log.child({ component: 'web' })),
  };
};

/**
 * The alert rules of one worker on the shared database, planning into its commit queue: each plan
 * reads what other workers may have changed (see {@link AlertEngine.startShared}), and a conflict
 * with another worker plans the commit afresh. Started (and its settings polled) when `alerts.enabled`.
 */
export async function sharedAlertEngine({ config, store, queue, profiles, clock, metrics, log, closers, committed }: AlertParts & { readonly store: PgStore }): Promise<AlertEngine> {
  const { escalation } = config.alerts;
  const alerts = new AlertEngine({
    store: {
      shared: true,
      conditionsOf: (patients, options) => store.alerts.conditionsOf(patients, options),
      latestValues: (patients, metricNames, sinceMs) => store.readings.latestValues(patients, metricNames, sinceMs),
      existingKeys: (keys) => store.readings.existingKeys(keys),
      recipientsOf: recipientsReadFrom(store.clinicians, escalation.contacts),
      activity: async () =>
        (await store.devices.activity()).flatMap((d) => {
          const profile = profiles.get(d.profileId);
          return profile === undefined ? [] : [{ ...d, profile }];
        }),
      correctionsSince: (afterId) => store.readings.correctionsSince(afterId),
      latestCorrectionId: () => store.readings.latestCorrectionId(),
    },
    requestCommit: () => queue.submit({ readings: [], deadLetters: [], health: [] }),
    committed,
    clock,
    metrics,
    log,
  });
  closers.push(() => alerts.stop());
  if (!config.alerts.enabled) return alerts;
  // With the FHIR output on: an alert names the Observation that raised it, and becomes a Flag in the care record.
  if (config.fhir.url !== undefined) alerts.useCareRecord(alertsInCareRecord(fhirServiceId(config)));
  // Clinicians set these from the command line: re-read every few seconds, as the embedded gateway does.
  const overrides = await polled(() => store.patients.overrides(), SETTINGS_POLL_MS, closers);
  const scales = await polled(async () => new Map((await store.patients.allSettings()).map((s) => [s.patientNhs, s.spo2Scale])), SETTINGS_POLL_MS, closers);
  alerts.useOverrides(overrides);
  // Each plan reads the alerts it may change: nothing to look up one by one.
  alerts.useEscalation({ afterMs: escalation.afterMinutes * 60_000, contacts: escalation.contacts }, () => undefined);
  // The NEWS2 inputs are read for each plan (take), never one metric at a time.
  alerts.useNews2(new News2Watch(config.alerts.news2WindowMinutes * 60_000, () => undefined, (nhs) => scales().get(nhs) ?? 1));
  await alerts.start();
  alerts.watchSilence(undefined, config.alerts.silenceCheckMs);
  queue.usePlanner(alerts);
  return alerts;
}

/**
 * Live updates for the web app from every worker's commits: each commit announces its events
 * (PostgreSQL `NOTIFY`, sent only if it commits) and each worker listens, telling its own browsers.
 */
function liveFeed(store: PgStore, closers: Closers, log: Logger): LiveFeed {
  const live = new LiveFeed();
  store.readings.announce(LIVE_CHANNEL, (batch) => livePayloads(liveEvents(batch)));
  let lost = false;
  const stop = store.listen(
    LIVE_CHANNEL,
    (payload) => live.publish(parseLivePayload(payload)),
    (up, error) => {
      if (!up) log.warn({ err: error?.message }, 'live updates from other workers lost: connecting again (browsers miss what is committed meanwhile)');
      else if (lost) log.info('live updates from other workers back');
      lost = !up;
    },
  );
  closers.push(stop);
  return live;
}
