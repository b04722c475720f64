/** A broker account's password as an external broker's own file holds it (Mosquitto's `$7$…` PBKDF2 hash). */
export interface BrokerCredential {
  readonly username: string;
  readonly passwordHash: string;
  readonly updatedAtMs: number;
}

/**
 * Hashes of device and account secrets in an external broker's format, written when a secret is
 * issued (the secret itself is never stored), read to write that broker's password file.
 */
export interface BrokerCredentialStore {
  /** Sets (or replaces) a username's hash. */
  set(c: BrokerCredential): void;
  /** Every username's, by username. */
  all(): BrokerCredential[];
}
