import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

/** What a simulated device needs to connect: its id (also the MQTT client id and username), secret and profile. */
export interface DeviceCredentials {
  readonly deviceId: string;
  readonly secret: string;
  readonly profile: string;
}

const CredentialsFile = z.array(
  z.object({ deviceId: z.string().min(1), secret: z.string().min(1), profile: z.string().min(1) }).strict(),
);

/** Reads a `--credentials` file: a JSON array of `{ deviceId, secret, profile }`. */
export function readCredentials(file: string): DeviceCredentials[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new Error(`cannot read credentials file ${file}: ${(cause as Error).message}`, { cause });
  }
  const parsed = CredentialsFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`credentials file ${file} is not an array of { deviceId, secret, profile }:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** Writes credentials for reuse with `--credentials`; readable by the owner only, since it holds secrets. */
export function writeCredentials(file: string, credentials: readonly DeviceCredentials[]): void {
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}
