import { GOALS, VALUES_PER_READING, type BenchResults, type TargetSummary } from './results.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-GB');
const fixed = (digits: number) => (n: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const verdict = (met: boolean): string => (met ? 'PASS' : 'BELOW TARGET');

/** One table row: a label and how to read its value off each broker's summary. */
type Row = readonly [label: string, value: (t: TargetSummary) => string];

const ROWS: readonly Row[] = [
  ['QoS 1 messages/s (1 reading each)', (t) => int(t.messagesPerS)],
  ['publish→PUBACK p50 (ms)', (t) => fixed(2)(t.p50Ms)],
  ['publish→PUBACK p99 (ms)', (t) => fixed(2)(t.p99Ms)],
  ['broker CPU while measured (cores)', (t) => fixed(2)(t.brokerCores)],
  ['broker CPU per message (µs)', (t) => fixed(1)(t.brokerCpuUsPerMessage)],
  ['broker capacity at 1 core (msgs/s)', (t) => int(1e6 / t.brokerCpuUsPerMessage)],
  ['load-generator CPU (cores)', (t) => fixed(2)(t.loadCores)],
  ['other processes CPU (cores)', (t) => fixed(2)(t.otherCores)],
  ['messages per group commit', (t) => (t.groupCommit === undefined ? '–' : int(t.groupCommit.messagesPerCommit))],
  ['group commit mean (ms)', (t) => (t.groupCommit === undefined ? '–' : fixed(1)(t.groupCommit.meanMs))],
  ['time inside group commits', (t) => (t.groupCommit === undefined ? '–' : `${fixed(0)(t.groupCommit.shareOfTime * 100)}%`)],
  ['idle devices connected', (t) => (t.idle === undefined ? '–' : int(t.idle.devices))],
  ['broker RSS before → after (MiB)', (t) => (t.idle === undefined ? '–' : `${fixed(1)(t.idle.rssBeforeMiB)} → ${fixed(1)(t.idle.rssAfterMiB)}`)],
  ['RSS per 1,000 idle devices (MiB)', (t) => (t.idle === undefined ? '–' : fixed(1)(t.idle.miBPer1000))],
  ['  of which live heap + buffers (MiB)', (t) => (t.idle === undefined ? '–' : fixed(1)(t.idle.liveMiBPer1000))],
  ['idle devices per GiB of RSS', (t) => (t.idle === undefined ? '–' : int(t.idle.devicesPerGiB))],
];

/** The human-readable report: a table of both brokers, then the ratios against the goals. */
export function formatReport(r: BenchResults): string {
  const o = r.options;
  const head = `vitals-gateway benchmark: ${r.machine.cpus} CPUs, Node ${r.machine.node}; ${o.devices} devices × ${o.window} QoS 1 in flight, ${o.workers} load processes, ${o.warmupMs / 1000} s warm-up + ${o.measureMs / 1000} s measured per broker`;
  const width = Math.max(...ROWS.map(([label]) => label.length)) + 2;
  const cell = (s: string): string => s.padStart(16);
  const table = [
    `${''.padEnd(width)}${cell('raw aedes')}${cell('gateway')}`,
    ...ROWS.map(([label, value]) => `${label.padEnd(width)}${cell(value(r.raw))}${cell(value(r.gateway))}`),
  ];
  const times = (a: number, b: number): string => `×${fixed(1)(b / a)}`;
  const rows = r.storedRows;
  const ratios = [
    'ratios',
    `  throughput gateway / raw aedes   ${(r.throughputRatio * 100).toFixed(1)}% (target ≥ ${GOALS.throughputRatio * 100}%)   ${verdict(r.throughputRatio >= GOALS.throughputRatio)}`,
    `  broker CPU per message           raw aedes ${fixed(1)(r.raw.brokerCpuUsPerMessage)} µs, gateway ${fixed(1)(r.gateway.brokerCpuUsPerMessage)} µs (${times(r.raw.brokerCpuUsPerMessage, r.gateway.brokerCpuUsPerMessage)})`,
    `  p99 publish→PUBACK               raw aedes ${fixed(2)(r.raw.p99Ms)} ms, gateway ${fixed(2)(r.gateway.p99Ms)} ms (${times(r.raw.p99Ms, r.gateway.p99Ms)})`,
  ];
  const rawIdle = r.raw.idle;
  const gwIdle = r.gateway.idle;
  if (rawIdle !== undefined && gwIdle !== undefined) {
    ratios.push(
      `  RSS per 1,000 idle devices       raw aedes ${fixed(1)(rawIdle.miBPer1000)} MiB, gateway ${fixed(1)(gwIdle.miBPer1000)} MiB (${times(rawIdle.miBPer1000, gwIdle.miBPer1000)})`,
      `  gateway idle devices per GiB     ${int(gwIdle.devicesPerGiB)} (target ≥ ${int(GOALS.idleDevicesPerGiB)})   ${verdict(gwIdle.devicesPerGiB >= GOALS.idleDevicesPerGiB)}`,
    );
  }
  ratios.push(
    `  stored rows                      ${int(rows.rows)} ${rows.rows === rows.expected ? '=' : '≠'} ${VALUES_PER_READING} × ${int(rows.expected / VALUES_PER_READING)} acknowledged, ${int(rows.deadLetters)} dead letters   ${rows.ok ? 'OK' : 'MISMATCH'}`,
  );
  const notes = [...caveats('raw aedes', r.raw, r.machine.cpus), ...caveats('gateway', r.gateway, r.machine.cpus)];
  const errors = r.errors.length === 0 ? [] : ['', 'errors', ...r.errors.map((e) => `  ${e}`)];
  return [head, '', ...table, '', ...ratios, ...(notes.length === 0 ? [] : ['', 'notes', ...notes]), ...errors].join('\n');
}

/** Why a throughput figure may understate a broker: the machine was full, or something else ran. */
function caveats(name: string, t: TargetSummary, cpus: number): string[] {
  const notes: string[] = [];
  const busy = t.brokerCores + t.loadCores + t.otherCores;
  if (t.brokerCores < 0.9 && busy > 0.9 * cpus) {
    notes.push(
      `  ${name}: its process used ${fixed(2)(t.brokerCores)} of a core while the machine's ${cpus} cores were ${fixed(0)((busy / cpus) * 100)}% busy: its throughput is bounded by the cores it shares with the load generator; "broker capacity at 1 core" compares CPU cost instead`,
    );
  }
  if (t.otherCores > 0.2) notes.push(`  ${name}: other processes used ${fixed(2)(t.otherCores)} cores while it was measured: rerun on a quiet machine`);
  return notes;
}
