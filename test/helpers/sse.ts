/** The JSON payloads of a server-sent event stream's `data:` lines, in order. */
export function sseData(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice('data:'.length)) as Record<string, unknown>);
}

/** The fields a live event may carry: who and what changed, never a clinical value. */
const LIVE_FIELDS: Record<string, readonly string[]> = {
  readings: ['latestAtMs', 'metrics', 'patientNhs', 'type'],
  alert: ['alertId', 'by', 'patientNhs', 'severity', 'state', 'type'],
};

/** Each event's field names beside those its type allows (equal when no event carries more). */
export function liveFields(text: string): { readonly got: string[][]; readonly allowed: string[][] } {
  const events = sseData(text);
  return {
    got: events.map((e) => Object.keys(e).sort()),
    allowed: events.map((e) => [...(LIVE_FIELDS[String(e['type'])] ?? ['(unknown type)'])]),
  };
}
