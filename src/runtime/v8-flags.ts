import { setFlagsFromString } from 'node:v8';

/**
 * The V8 settings a gateway process runs with. The process sets them itself, as it starts, so that
 * every way of starting it (`npm start`, the installed command, a systemd unit) runs with them:
 * Node refuses them in NODE_OPTIONS.
 *
 * `--no-allocation-site-pretenuring`. Under load every message's objects (its readings and values,
 * what it will write) live until their group commit, tens of milliseconds, and so survive a
 * scavenge. V8 may then judge the sites that make them long-lived and allocate their objects
 * straight in the old generation, where they die soon after: the old generation fills with
 * short-lived garbage for full collections to mark and sweep. Whether V8 decides so, and when,
 * changes from run to run: it gave the gateway two speeds under the same load, 20–23 µs of CPU a
 * message or 30–49 (docs/benchmarks.md, "Two speeds, one V8 decision").
 */
export const V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/** Sets {@link V8_FLAGS} in this process (every thread's isolate): call it before the gateway starts. */
export function applyV8Flags(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
