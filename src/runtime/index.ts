/** The process a gateway runs in: the V8 settings it sets for itself as it starts. */
export { applyV8Flags, V8_FLAGS } from './v8-flags.js';
