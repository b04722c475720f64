/**
 * The pipeline a message passes: rate-limit → decode → map (profile) → validate (units, limits,
 * rules, time) → dedupe and store (group commit). Stages are pure functions; the Ingestor strings
 * them together and the CommitQueue makes each result durable before the caller acknowledges.
 */
export { allOutputs, Ingestor, noOutputs, promiseOf, settleDone, type DeviceContext, type IngestDone, type IngestOutcome, type IngestMetrics, type IngestExtras, type IngestLimits, type OutputPlanner, type PlannedOutput, type CorrectionContext, type ReadingLookup } from './ingest.js';
export { planCorrection, type CorrectionRequest, type PlannedCorrection } from './correct.js';
export { CommitQueue, mergeHealth, type CommitPlan, type CommitPlanner, type CommitStats, type PlannedWork, type ReadingWriter } from './commit-queue.js';
export { RateLimiter } from './rate-limit.js';
export { FloodGuard } from './flood-guard.js';
export { validateReading, type ValidationContext } from './validate.js';
export { parseTimestamp, resolveTime, type TimePolicy, type ReadingTime } from './time.js';
export { decodeJson } from './decode.js';
