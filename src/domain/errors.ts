/**
 * Exceptions are for broken infrastructure and bugs. Each carries a `GW_*` code from
 * this one registry (documented in docs/errors.md, kept in step by a test) and a retry class.
 */
export const RetryClass = {
  /** Try again later. */
  Transient: 'transient',
  /** May have reached the other side: retry idempotent writes only. */
  Ambiguous: 'ambiguous',
  /** Never retry. */
  Permanent: 'permanent',
  /**
   * The other side refuses everyone, not this request: wrong credentials, a missing endpoint, a TLS
   * failure (401 after a token refresh, 403, 404 on the endpoint). Pause the output and retry
   * slowly; nothing is dropped.
   */
  Configuration: 'configuration',
} as const;
export type RetryClass = (typeof RetryClass)[keyof typeof RetryClass];

export const GatewayErrorCode = {
  // Configuration
  GW_CONFIG_INVALID: { retry: RetryClass.Permanent, summary: 'The configuration does not match its schema.' },
  GW_INPUT_INVALID: { retry: RetryClass.Permanent, summary: 'A command\'s input (a --json value or --file) is not valid.' },
  GW_CONFIG_FILE_UNREADABLE: { retry: RetryClass.Permanent, summary: 'The config file cannot be read or is not JSON.' },
  // Device profiles
  GW_PROFILE_INVALID: { retry: RetryClass.Permanent, summary: 'A device profile file does not match the profile schema.' },
  GW_PROFILE_UNKNOWN: { retry: RetryClass.Permanent, summary: 'No loaded device profile has the requested id.' },
  // Devices
  GW_DEVICE_EXISTS: { retry: RetryClass.Permanent, summary: 'A device with this id is already registered.' },
  GW_DEVICE_UNKNOWN: { retry: RetryClass.Permanent, summary: 'No device with this id is registered.' },
  GW_NHS_NUMBER_INVALID: { retry: RetryClass.Permanent, summary: 'The NHS number fails the modulus 11 check.' },
  GW_DEVICE_ID_INVALID: { retry: RetryClass.Permanent, summary: 'A device id must be 3–64 characters of A–Z, a–z, 0–9, "-" and "_".' },
  GW_READING_UNKNOWN: { retry: RetryClass.Permanent, summary: 'No stored reading has the given id.' },
  GW_CORRECTION_INVALID: { retry: RetryClass.Permanent, summary: 'A correction cannot be applied to the reading (e.g. an amendment of a retracted reading).' },
  // Clinicians
  GW_CLINICIAN_EXISTS: { retry: RetryClass.Permanent, summary: 'A clinician with this id is already registered.' },
  GW_CLINICIAN_UNKNOWN: { retry: RetryClass.Permanent, summary: 'No clinician with this id is registered.' },
  GW_CLINICIAN_ID_INVALID: { retry: RetryClass.Permanent, summary: 'A clinician id must be 3–64 characters of A–Z, a–z, 0–9, "-" and "_".' },
  GW_ALERT_UNKNOWN: { retry: RetryClass.Permanent, summary: 'No alert has the given id.' },
  // Store
  GW_STORE_MIGRATION_FAILED: { retry: RetryClass.Permanent, summary: 'A schema migration of the SQLite store failed.' },
  GW_STORE_NEWER_SCHEMA: { retry: RetryClass.Permanent, summary: 'The store was written by a newer gateway version.' },
  GW_STORE_CLOSED: { retry: RetryClass.Transient, summary: 'The store is closed (the gateway is stopping).' },
  GW_STORE_WRITE_FAILED: { retry: RetryClass.Transient, summary: 'A commit to the SQLite store failed (disk, lock or writer thread).' },
  GW_STORE_UNREACHABLE: { retry: RetryClass.Transient, summary: 'The PostgreSQL store cannot be reached or opened (server down, address, credentials, database).' },
  GW_COMMIT_UNSETTLED: { retry: RetryClass.Transient, summary: 'A commit planned while the one before it was being written needed that one settled first (it failed, or the plan found a reading already stored): it is planned again once that one is settled.' },
  GW_ALERT_CONFLICT: { retry: RetryClass.Transient, summary: 'Another gateway sharing the store opened or changed an alert a commit was planned on: the commit is planned afresh.' },
  // Broker
  GW_BROKER_LISTEN_FAILED: { retry: RetryClass.Permanent, summary: 'The MQTT listener could not bind its host and port.' },
  GW_HTTP_LISTEN_FAILED: { retry: RetryClass.Permanent, summary: 'The metrics and health listener, or the web app, could not bind its host and port.' },
  GW_TLS_FILES_UNREADABLE: { retry: RetryClass.Permanent, summary: 'The TLS certificate or key file cannot be read.' },
  GW_SECRET_KEY_INVALID: { retry: RetryClass.Permanent, summary: 'A secret key file (pseudonym, webhook, research) cannot be read or holds fewer than 32 bytes.' },

  GW_RESEARCH_OUT_NOT_EMPTY: { retry: RetryClass.Permanent, summary: 'A research extract\'s output directory already holds files (an extract never overwrites or mixes with another).' },
  GW_RESEARCH_PROJECT_INVALID: { retry: RetryClass.Permanent, summary: 'A research project id must be 1–64 characters of A–Z, a–z, 0–9, ".", "-" and "_", starting with a letter or digit.' },
  GW_RESEARCH_EXTRACT_FAILED: { retry: RetryClass.Permanent, summary: 'A research extract stopped part-way (the store could not be read, the disk filled, or it outgrew its memory limit); its directory is incomplete.' },
  GW_RESEARCH_PERIOD_INVALID: { retry: RetryClass.Permanent, summary: 'A research period needs --from and --to as ISO 8601 dates or times, --to after --from.' },
} as const satisfies Record<string, { retry: RetryClass; summary: string }>;
export type GatewayErrorCode = keyof typeof GatewayErrorCode;

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly retry: RetryClass;

  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.retry = GatewayErrorCode[code].retry;
  }
}
