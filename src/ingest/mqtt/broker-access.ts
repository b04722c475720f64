import type { Result } from '../../domain/index.js';
import type { AuthFailure } from '../../devices/index.js';
import type { DeviceContext } from '../../pipeline/index.js';
import { CLINICIAN_USERNAME_PREFIX, clinicianAlertTopic, maySubscribe, publishChannel } from './topic.js';

/**
 * Who may connect to an external broker and what each may touch, from the gateway's registry: the
 * same rules as the embedded broker's. Answers in EMQX's terms (its HTTP authenticator and
 * authoriser): `allow`, `deny`, or `ignore` for a name the gateway does not know (the broker's next
 * source decides: the gateway workers' own account lives there).
 */
export type BrokerDecision = 'allow' | 'deny' | 'ignore';

export interface BrokerAccessPorts {
  authenticateDevice(deviceId: string, secret: Buffer): Promise<Result<DeviceContext, AuthFailure>>;
  authenticateClinician(clinicianId: string, secret: Buffer): Promise<Result<string, AuthFailure>>;
  /** Whether the id is a provisioned device (any status) or account (from a store in this process, or a database server). */
  deviceKnown(deviceId: string): boolean | Promise<boolean>;
  clinicianKnown(clinicianId: string): boolean | Promise<boolean>;
  /** Active now (revocation takes effect at the next check). */
  deviceActive(deviceId: string): boolean | Promise<boolean>;
  clinicianActive(clinicianId: string): boolean | Promise<boolean>;
}

export interface ConnectRequest {
  readonly clientid: string;
  readonly username: string;
  readonly password: string;
}

export interface AccessRequest {
  readonly clientid: string;
  readonly username: string;
  readonly topic: string;
  readonly action: 'publish' | 'subscribe';
}

export class BrokerAccess {
  constructor(private readonly ports: BrokerAccessPorts) {}

  /** A connection: a device with its secret, or a clinician; the client id must equal the username (no session takeover). */
  async authenticate(r: ConnectRequest): Promise<BrokerDecision> {
    const clinician = clinicianOf(r.username);
    if (clinician !== undefined) {
      if (!(await this.ports.clinicianKnown(clinician))) return 'ignore';
      if (r.clientid !== r.username) return 'deny';
      return (await this.ports.authenticateClinician(clinician, Buffer.from(r.password))).ok ? 'allow' : 'deny';
    }
    if (!(await this.ports.deviceKnown(r.username))) return 'ignore';
    if (r.clientid !== r.username) return 'deny';
    return (await this.ports.authenticateDevice(r.username, Buffer.from(r.password))).ok ? 'allow' : 'deny';
  }

  /** A publish or subscription: a device only on its own topics (never the gateway's channels); a clinician only subscribes to their alert topic. */
  async authorize(r: AccessRequest): Promise<BrokerDecision> {
    const clinician = clinicianOf(r.username);
    if (clinician !== undefined) {
      if (!(await this.ports.clinicianKnown(clinician))) return 'ignore';
      const own = r.clientid === r.username && (await this.ports.clinicianActive(clinician));
      return own && r.action === 'subscribe' && r.topic === clinicianAlertTopic(clinician) ? 'allow' : 'deny';
    }
    if (!(await this.ports.deviceKnown(r.username))) return 'ignore';
    if (r.clientid !== r.username || !(await this.ports.deviceActive(r.username))) return 'deny';
    const allowed = r.action === 'publish' ? publishChannel(r.username, r.topic) !== undefined : maySubscribe(r.username, r.topic);
    return allowed ? 'allow' : 'deny';
  }
}

const clinicianOf = (username: string): string | undefined =>
  username.startsWith(CLINICIAN_USERNAME_PREFIX) ? username.slice(CLINICIAN_USERNAME_PREFIX.length) : undefined;
