import { loadProfiles } from '../profiles/index.js';
import { commandConfig, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

/** `vitals-gateway profiles list`: loads (and so validates) every profile. */
export function profilesList(global: GlobalOptions, o: { profilesDir?: string | undefined; json?: boolean | undefined }): void {
  const profiles = [...loadProfiles(commandConfig(global, { profilesDir: o.profilesDir }).profilesDir).values()];
  if (o.json) return stdout.json(profiles);
  stdout.table(
    profiles.map((p) => ({
      id: p.id,
      version: p.version,
      class: p.deviceClass,
      sampling: p.sampling,
      payload: p.payload.format,
      metrics: Object.entries(p.metrics).map(([m, s]) => `${m} [${s.unit}]`).join(', '),
    })),
    'no profiles',
  );
}
