/**
 * Research data: pseudonymised extracts (Parquet or CSV) and disclosure-controlled cohort
 * summaries, never of a patient who opted out; opt-outs recorded one by one or imported from the
 * national data opt-out service's files.
 */
export { coarsen, isoDay, localDays, TIME_PRECISIONS, type TimePrecision } from './coarsen.js';
export { disclose } from './disclosure.js';
export { EXTRACT_LEVELS, ExtractError, runExtract, sha256File, type ExtractLevel, type ExtractManifest, type ExtractProgress, type ExtractRequest, type ResearchReads } from './extract.js';
export { parseOptOutFile, splitCsv, type OptOutFile } from './opt-out-file.js';
export { projectKey, PROJECT_ID, type ProjectKey } from './pseudonym.js';
export { cohortSummary, SUMMARY_DIMENSIONS, type CohortSummary, type SummaryDimension } from './summary.js';
export type { TableFormat } from './table.js';
export { EXTRACT_HEAP_MIB, extractInWorker, type ExtractJob } from './extract-in-worker.js';
