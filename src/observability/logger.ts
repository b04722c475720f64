import pino from 'pino';
import { maskNhsNumber } from '../domain/index.js';

export type Logger = pino.Logger;

/** Keys whose values never reach a log: secrets and tokens are censored, NHS numbers show their last 4 digits. */
const SECRET_KEYS = ['secret', 'password', 'token', 'authorization', 'secretHash', 'clientSecret'];
const NHS_KEYS = ['patient', 'patientNhs', 'nhsNumber', 'nhs'];
const paths = (keys: string[]): string[] => keys.flatMap((k) => [k, `*.${k}`]);

/**
 * The one pino configuration. Redaction is configured here once (and proven by a test), so a log
 * call anywhere can pass a device or a config object without leaking what it holds.
 */
export function createLogger(options: { level: string; destination?: pino.DestinationStream; name?: string }): Logger {
  return pino(
    {
      name: options.name ?? 'vitals-gateway',
      level: options.level,
      base: null,
      redact: {
        paths: [...paths(SECRET_KEYS), ...paths(NHS_KEYS)],
        censor: (value: unknown, path: string[]) =>
          NHS_KEYS.includes(path[path.length - 1] ?? '') && typeof value === 'string' ? maskNhsNumber(value) : '[redacted]',
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
