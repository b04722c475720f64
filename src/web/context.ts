import type { ClinicianRegistry } from '../clinicians/index.js';
import type { Administration } from '../care/administration.js';
import type { CareService, Caller } from '../care/service.js';
import type { CareStore } from '../care/store.js';
import type { EitherPort } from '../store/async-port.js';
import type { SessionStore } from '../store/care-views.js';
import type { Clock } from '../domain/index.js';
import type { Logger } from '../observability/index.js';
import type { LiveFeed } from './live.js';
import type { Session, Sessions } from './sessions.js';

/** What the web app's routes use: narrow parts of the gateway. */
export interface WebDeps {
  readonly care: CareService;
  /** Devices, outputs, accounts and the audit trail (operators and admins). */
  readonly admin: Administration;
  readonly accounts: ClinicianRegistry;
  readonly store: CareStore;
  /** Browser sessions: in memory, or in the shared database. */
  readonly sessions: EitherPort<SessionStore>;
  readonly live: LiveFeed;
  readonly clock: Clock;
  readonly log: Logger;
  /** `/healthz`'s verdict. */
  readonly health: () => { readonly status: string };
  /** Whether a device is connected to the broker now; null when not known (a worker on an external broker). */
  readonly connected: (deviceId: string) => boolean | null;
  /** Output sinks whose outbox the operator pages show. */
  readonly sinks: readonly string[];
  /** Device profile ids (for adding a device). */
  readonly profiles: readonly string[];
}

/** A request's signed-in caller, and its browser session (none for a bearer token). */
export interface Authenticated {
  readonly caller: Caller;
  readonly session: Session | undefined;
}

export interface WebState {
  readonly deps: WebDeps;
  readonly sessions: Sessions;
  readonly secureCookies: boolean;
}
