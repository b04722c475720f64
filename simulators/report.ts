import type { Summary } from './tally.js';

const list = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

/** The summary for people; `--json` prints the `Summary` object itself. */
export function formatSummary(s: Summary): string {
  const codes = [...new Set([...Object.keys(s.expectedRejected), ...Object.keys(s.rejected)])].sort();
  const rejected = codes.map((c) => `${c} ${s.rejected[c] ?? 0}${c in s.expectedRejected ? ` (expected ${s.expectedRejected[c]})` : ''}`);
  const lines = [
    `${s.devices} devices (${list(s.devicesByProfile)}) → ${s.url}, QoS ${s.qos}, ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  sent            ${s.sent} (${s.readingMessages} readings, ${s.statusMessages} status)`,
    `  acknowledged    ${s.acknowledged}`,
    `  values to store ${s.expectedStoredValues}`,
    `  alerting        ${s.alertingReadings} readings over an alert threshold of their profile`,
    `  duplicates sent ${s.duplicatesSent}`,
    `  faults sent     ${list(s.faultsSent)}`,
    `  rejected        ${rejected.join(', ') || 'none'}`,
    `  unexpected      ${s.unexpectedRejections} rejections; ${s.missingRejections} expected rejections missing`,
    `  errors          ${s.errors}`,
    ...s.errorMessages.map((m) => `    ${m}`),
    s.ok ? 'OK: every message was acknowledged' : 'FAILED: not every message was acknowledged',
  ];
  return `${lines.join('\n')}\n`;
}
