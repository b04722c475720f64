import { Administration } from './care/administration.js';
import { CareService, type CorrectionOutbox } from './care/service.js';
import type { CareStore } from './care/store.js';
import type { ClinicianRegistry } from './clinicians/index.js';
import type { LoadedConfig } from './config/index.js';
import type { DeviceRegistry } from './devices/index.js';
import type { Clock } from './domain/index.js';
import type { Logger } from './observability/index.js';
import { ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK, alertDeliveries, type Recipient } from './outputs/alerts/index.js';
import { alertsInCareRecord, FHIR_SINK } from './outputs/fhir/index.js';
import { INFLUX_SINK } from './outputs/influx/index.js';
import { fhirServiceId } from './outputs/planner.js';
import type { ProfileCatalog } from './profiles/index.js';
import type { EitherPort } from './store/async-port.js';
import type { SessionStore } from './store/care-views.js';
import type { AlertChange, CommitBatch } from './store/reading-store.js';
import { WebServer, type LiveFeed } from './web/index.js';

/** What the web app is built from, on either store. */
export interface WebAppParts {
  readonly config: LoadedConfig;
  readonly store: CareStore;
  readonly sessions: EitherPort<SessionStore>;
  /** Where browsers hear of commits: fed by this gateway's commits, or by every worker's. */
  readonly live: LiveFeed;
  /** The group commit: every change the app makes goes through it. */
  readonly commit: (work: CommitBatch) => Promise<unknown>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly profiles: ProfileCatalog;
  readonly accounts: ClinicianRegistry;
  readonly devices: DeviceRegistry;
  /** Who an alert change is delivered to (the patient's clinicians, and escalation contacts). */
  readonly recipients: (change: AlertChange) => readonly Recipient[] | Promise<readonly Recipient[]>;
  readonly correctionOutbox: CorrectionOutbox;
  readonly health: () => { readonly status: string };
  readonly connected: (deviceId: string) => boolean | null;
}

/**
 * The web app and its API over the store, its changes through the group commit: an alert action's
 * deliveries (clinicians' MQTT and webhooks, the care record's Flag) committed with it.
 */
export function webApp(p: WebAppParts): WebServer {
  const { config } = p;
  const careRecord = config.fhir.url === undefined ? undefined : alertsInCareRecord(fhirServiceId(config));
  const deps = {
    store: p.store,
    commit: p.commit,
    clock: p.clock,
    profiles: p.profiles,
    news2WindowMs: config.alerts.news2WindowMinutes * 60_000,
    alertOutbox: async (changes: readonly AlertChange[]) => {
      const recipients = await Promise.all(changes.map((c) => p.recipients(c)));
      return [...alertDeliveries(changes, (c) => recipients[changes.indexOf(c)] ?? []), ...(careRecord?.entries(changes) ?? [])];
    },
    correctionOutbox: p.correctionOutbox,
    devices: p.devices,
    accounts: p.accounts,
  };
  const care = new CareService(deps);
  const admin = new Administration(deps, care);
  const sinks = [INFLUX_SINK, FHIR_SINK, ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK];
  return new WebServer(config.web, {
    care,
    admin,
    accounts: p.accounts,
    store: p.store,
    sessions: p.sessions,
    live: p.live,
    clock: p.clock,
    log: p.log.child({ component: 'web' }),
    health: p.health,
    connected: p.connected,
    sinks,
    profiles: [...p.profiles.keys()].sort(),
  });
}
