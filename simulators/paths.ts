import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json and device-profiles/, found upwards from this file (source tree or dist/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'device-profiles'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the project folder (package.json next to device-profiles/)');
}

/** The profiles the gateway ships with. */
export const shippedProfilesDir = (): string => join(projectRoot(), 'device-profiles');

/** How to run the gateway's command line: from source with tsx, or the built file. */
export interface GatewayCli {
  readonly command: string;
  readonly args: readonly string[];
  /** Where to run it (tsx is resolved from there). */
  readonly cwd: string;
}

export function gatewayCli(): GatewayCli {
  const root = projectRoot();
  const source = join(root, 'src', 'main.ts');
  if (existsSync(source)) return { command: process.execPath, args: ['--import', 'tsx', source], cwd: root };
  return { command: process.execPath, args: [join(root, 'dist', 'src', 'main.js')], cwd: root };
}
