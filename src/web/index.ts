/** The web app: clinicians' triage list and patient pages, operators' pages, and the JSON API. */
export { WebServer, type WebOptions } from './server.js';
export { MemorySessionStore } from './sessions.js';
export { LiveFeed, liveEvents, livePayloads, parseLivePayload, type LiveEvent } from './live.js';
