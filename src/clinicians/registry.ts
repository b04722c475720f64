import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, GatewayError, ok, parseNhsNumber, webhookSecret, type Clock, type Result } from '../domain/index.js';
import { AuthFailure, fingerprint, generateSecret, hashSecret, LoginThrottle, mosquittoHash, MOSQUITTO_CLINICIAN_PREFIX, verifySecret } from '../devices/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { BrokerCredentialStore } from '../store/broker-credential-store.js';
import type { ApiTokenStore } from '../store/care-views.js';
import type { AccountRole, ClinicianRecord, ClinicianStore } from '../store/clinician-store.js';

const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

const CLINICIAN_ID = /^[A-Za-z0-9_-]{3,64}$/;

/**
 * Clinician accounts: each gets a secret (shown once, stored as a scrypt hash) to connect to the
 * broker as `clinician:<id>`, and is assigned the patients whose alerts they receive.
 */
export class ClinicianRegistry {
  private readonly verified = new Map<string, { secretHash: string; fingerprint: Buffer }>();

  constructor(
    private readonly store: EitherPort<ClinicianStore>,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle = new LoginThrottle(clock),
    /** Where each new secret is also kept hashed for an external broker's password file. */
    private readonly brokerCredentials?: EitherPort<BrokerCredentialStore>,
  ) {}

  /**
   * Adds a clinician; with a webhook URL (and the gateway's webhook key), also their webhook signing
   * secret. Both secrets are returned once: the MQTT one is stored hashed, the webhook one derived.
   */
  async add(id: string, name: string, webhook?: { url: string; key: Uint8Array }, role: AccountRole = 'clinician'): Promise<{ clinicianId: string; role: AccountRole; secret: string; webhookSecret?: string }> {
    if (!CLINICIAN_ID.test(id)) throw new GatewayError('GW_CLINICIAN_ID_INVALID', `--id: "${id}" must be 3–64 characters of A–Z, a–z, 0–9, "-" and "_"`);
    if ((await this.store.get(id)) !== undefined) throw new GatewayError('GW_CLINICIAN_EXISTS', `clinician ${id} already exists`);
    if (webhook !== undefined && !/^https?:\/\/\S+$/.test(webhook.url)) throw new GatewayError('GW_CONFIG_INVALID', `--webhook: "${webhook.url}" is not an http(s) URL`);
    const secret = generateSecret();
    await this.store.insert({ id, name, secretHash: await hashSecret(secret), status: 'active', role, webhookUrl: webhook?.url, createdAtMs: this.clock.now() });
    // Mosquitto's password file allows no ':' in a name: there the account is `clinician.<id>`.
    await this.brokerCredentials?.set({ username: `${MOSQUITTO_CLINICIAN_PREFIX}${id}`, passwordHash: await mosquittoHash(secret), updatedAtMs: this.clock.now() });
    return { clinicianId: id, role, secret, ...(webhook !== undefined ? { webhookSecret: webhookSecret(webhook.key, id) } : {}) };
  }

  async assign(id: string, patient: string): Promise<string> {
    if ((await this.store.get(id)) === undefined) throw new GatewayError('GW_CLINICIAN_UNKNOWN', `no clinician ${id}`);
    const nhs = parseNhsNumber(patient);
    if (!nhs.ok) throw new GatewayError('GW_NHS_NUMBER_INVALID', `--patient: ${nhs.error}`);
    await this.store.assign(id, nhs.value, this.clock.now());
    return nhs.value;
  }

  /** The account can no longer sign in anywhere; a running gateway closes its connections. False if it already was revoked. */
  async revoke(id: string): Promise<boolean> {
    if ((await this.store.get(id)) === undefined) throw new GatewayError('GW_CLINICIAN_UNKNOWN', `no account ${id}`);
    return this.store.revoke(id, this.clock.now());
  }

  /** A bearer token for an API client acting as this account: returned once, kept as its SHA-256. */
  async issueToken(accountId: string, name: string, tokens: EitherPort<ApiTokenStore>): Promise<{ tokenId: string; token: string }> {
    if ((await this.store.get(accountId)) === undefined) throw new GatewayError('GW_CLINICIAN_UNKNOWN', `no account ${accountId}`);
    const tokenId = randomBytes(6).toString('hex');
    const token = `vgt_${randomBytes(32).toString('base64url')}`;
    await tokens.insert({ id: tokenId, accountId, tokenHash: tokenDigest(token), name, createdAtMs: this.clock.now() });
    return { tokenId, token };
  }

  /** The active account a bearer token acts as. */
  async authenticateToken(token: string, tokens: EitherPort<ApiTokenStore>): Promise<ClinicianRecord | undefined> {
    if (!token.startsWith('vgt_')) return undefined;
    const t = await tokens.byHash(tokenDigest(token));
    const account = t === undefined ? undefined : await this.store.get(t.accountId);
    return account?.status === 'active' ? account : undefined;
  }

  async get(id: string): Promise<ClinicianRecord | undefined> {
    return this.store.get(id);
  }

  async list(): Promise<(Omit<ClinicianRecord, 'secretHash'> & { patients: string[] })[]> {
    const all = await this.store.list();
    return Promise.all(all.map(async ({ secretHash: _hidden, ...c }) => ({ ...c, patients: await this.store.patientsOf(c.id) })));
  }

  /** The broker's check of a clinician's secret (throttled like devices'; a proven secret is remembered in memory). */
  async authenticate(id: string, secret: Buffer | undefined): Promise<Result<string, AuthFailure>> {
    const clinician = await this.store.get(id);
    if (clinician === undefined || secret === undefined) return err(AuthFailure.BadCredentials);
    const print = fingerprint(secret);
    const cached = this.verified.get(id);
    const known = cached !== undefined && cached.secretHash === clinician.secretHash && timingSafeEqual(cached.fingerprint, print);
    if (!known) {
      if (this.throttle.locked(id)) return err(AuthFailure.Throttled);
      if (!(await verifySecret(secret.toString('utf8'), clinician.secretHash))) {
        this.throttle.failed(id);
        return err(AuthFailure.BadCredentials);
      }
      this.verified.set(id, { secretHash: clinician.secretHash, fingerprint: print });
    }
    this.throttle.succeeded(id);
    return clinician.status === 'active' ? ok(id) : err(AuthFailure.NotAuthorized);
  }
}
