import { GOALS, VALUES_PER_READING, type BenchResults, type InfluxResults, type StoredRows, type TargetSummary } from './results.js';
import { check, fixed, int, percent, verdict } from './format.js';
import type { ThreadCores } from './proc.js';

/** A line of the sections under the table: its label in a column of its own. */
const line = (label: string, text: string): string => `  ${label.padEnd(42)}${text}`;

/** A thread's wait for a core, or '–' where the kernel keeps no scheduler statistics. */
const waiting = (t: ThreadCores): string => (t.waiting === undefined ? '–' : fixed(2)(t.waiting));

/** One table row: a label and how to read its value off each broker's summary. */
type Row = readonly [label: string, value: (t: TargetSummary) => string];

const ROWS: readonly Row[] = [
  ['QoS 1 messages/s (1 reading each)', (t) => int(t.messagesPerS)],
  ['publish→PUBACK p50 (ms)', (t) => fixed(2)(t.p50Ms)],
  ['publish→PUBACK p99 (ms)', (t) => fixed(2)(t.p99Ms)],
  ['broker CPU while measured (cores)', (t) => fixed(2)(t.brokerCores)],
  ['  main thread, busiest other (cores)', (t) => `${fixed(2)(t.brokerThreads.main.cpu)}, ${fixed(2)(t.brokerThreads.busiestOther.cpu)}`],
  ['  each waiting for a core (cores)', (t) => `${waiting(t.brokerThreads.main)}, ${waiting(t.brokerThreads.busiestOther)}`],
  ['broker CPU per message (µs)', (t) => fixed(1)(t.brokerCpuUsPerMessage)],
  ['broker capacity at 1 core (msgs/s)', (t) => int(1e6 / t.brokerCpuUsPerMessage)],
  ['load-generator CPU (cores)', (t) => fixed(2)(t.loadCores)],
  ['InfluxDB server CPU (cores)', (t) => (t.serverCores === undefined ? '–' : fixed(2)(t.serverCores))],
  ['other processes CPU (cores)', (t) => fixed(2)(t.otherCores)],
  ['messages per group commit', (t) => (t.groupCommit === undefined ? '–' : int(t.groupCommit.messagesPerCommit))],
  ['group commit mean (ms)', (t) => (t.groupCommit === undefined ? '–' : fixed(1)(t.groupCommit.meanMs))],
  ['commits in flight (mean)', (t) => (t.groupCommit === undefined ? '–' : fixed(2)(t.groupCommit.meanInFlight))],
  ['main-thread GC pauses per message (µs)', (t) => (t.groupCommit === undefined ? '–' : fixed(1)(t.groupCommit.gcPauseUsPerMessage))],
  ['idle devices connected', (t) => (t.idle === undefined ? '–' : int(t.idle.devices))],
  ['broker RSS before → after (MiB)', (t) => (t.idle === undefined ? '–' : `${fixed(1)(t.idle.rssBeforeMiB)} → ${fixed(1)(t.idle.rssAfterMiB)}`)],
  ['RSS per 1,000 idle devices (MiB)', (t) => (t.idle === undefined ? '–' : fixed(1)(t.idle.miBPer1000))],
  ['  of which live heap + buffers (MiB)', (t) => (t.idle === undefined ? '–' : fixed(1)(t.idle.liveMiBPer1000))],
  ['idle devices per GiB of RSS', (t) => (t.idle === undefined ? '–' : int(t.idle.devicesPerGiB))],
];

/** The human-readable report: a table of the brokers, the ratios against the goals, then the InfluxDB output's figures. */
export function formatReport(r: BenchResults): string {
  const o = r.options;
  const influx = 'skipped' in r.influx ? undefined : r.influx;
  const head = [
    `vitals-gateway benchmark: ${r.machine.cpus} CPUs, Node ${r.machine.node}; ${o.devices} devices × ${o.window} QoS 1 in flight, ${o.workers} load processes, ${o.warmupMs / 1000} s warm-up + ${o.measureMs / 1000} s measured per broker`,
    ...(r.floorRounds.length > 1 ? [`durable floor and gateway: their first round of ${r.floorRounds.length} (the gateway's with the idle-memory phase first)`] : []),
    ...(influx === undefined
      ? []
      : [`gateway + InfluxDB (its last round): the same load, ${influx.options.warmupMs / 1000} s warm-up + ${influx.options.measureMs / 1000} s measured, no idle-memory phase`]),
  ];
  const columns: readonly (readonly [name: string, t: TargetSummary])[] = [
    ['raw aedes', r.raw],
    ...(r.floor === undefined ? [] : [['durable floor', r.floor] as const]),
    ['gateway', r.gateway],
    ...(influx === undefined ? [] : [['gateway + InfluxDB', influx.target] as const]),
  ];
  const width = Math.max(...ROWS.map(([label]) => label.length)) + 2;
  const cell = (s: string): string => s.padStart(20);
  const table = [
    `${''.padEnd(width)}${columns.map(([name]) => cell(name)).join('')}`,
    ...ROWS.map(([label, value]) => `${label.padEnd(width)}${columns.map(([, t]) => cell(value(t))).join('')}`),
  ];
  const times = (a: number, b: number): string => `×${fixed(1)(b / a)}`;
  const ratios = [
    'ratios',
    ...(r.floorRatio === undefined
      ? []
      : [
          line(
            'throughput gateway / durable floor',
            `${percent(r.floorRatio)}${r.floorRounds.length > 1 ? `, median of ${r.floorRounds.length} rounds` : ''} (target ≥ ${GOALS.floorRatio * 100}%)   ${verdict(r.floorRatio >= GOALS.floorRatio)}`,
          ),
          line('rounds, msgs/s floor → gateway', r.floorRounds.map((f) => `${int(f.floorPerS)} → ${int(f.gatewayPerS)} (${percent(f.ratio)})`).join(', ')),
          line('CPU per message floor → gateway (µs)', r.floorRounds.map((f) => `${fixed(1)(f.floorCpuUs)} → ${fixed(1)(f.gatewayCpuUs)}`).join(', ')),
        ]),
    line('throughput gateway / raw aedes', `${percent(r.throughputRatio)} (a figure: raw aedes stores nothing)`),
    line(
      'broker CPU per message',
      `raw aedes ${fixed(1)(r.raw.brokerCpuUsPerMessage)} µs${r.floor === undefined ? '' : `, durable floor ${fixed(1)(r.floor.brokerCpuUsPerMessage)} µs`}, gateway ${fixed(1)(r.gateway.brokerCpuUsPerMessage)} µs (${times(r.floor?.brokerCpuUsPerMessage ?? r.raw.brokerCpuUsPerMessage, r.gateway.brokerCpuUsPerMessage)} the ${r.floor === undefined ? 'raw' : 'floor'}'s)`,
    ),
    line('p99 publish→PUBACK', `raw aedes ${fixed(2)(r.raw.p99Ms)} ms${r.floor === undefined ? '' : `, durable floor ${fixed(2)(r.floor.p99Ms)} ms`}, gateway ${fixed(2)(r.gateway.p99Ms)} ms`),
    targetBudget(r),
  ];
  const rawIdle = r.raw.idle;
  const gwIdle = r.gateway.idle;
  if (rawIdle !== undefined && gwIdle !== undefined) {
    ratios.push(
      line('RSS per 1,000 idle devices', `raw aedes ${fixed(1)(rawIdle.miBPer1000)} MiB, gateway ${fixed(1)(gwIdle.miBPer1000)} MiB (${times(rawIdle.miBPer1000, gwIdle.miBPer1000)})`),
      line('gateway idle devices per GiB', `${int(gwIdle.devicesPerGiB)} (target ≥ ${int(GOALS.idleDevicesPerGiB)})   ${verdict(gwIdle.devicesPerGiB >= GOALS.idleDevicesPerGiB)}`),
    );
  }
  ratios.push(storedRowsLine('stored rows', r.storedRows));
  if (r.floorStoredRows !== undefined) ratios.push(storedRowsLine('durable floor stored rows', r.floorStoredRows));
  const notes = columns.flatMap(([name, t]) => caveats(name, t, r.machine.cpus));
  const errors = r.errors.length === 0 ? [] : ['', 'errors', ...r.errors.map((e) => `  ${e}`)];
  return [
    ...head,
    '',
    ...table,
    '',
    ...ratios,
    '',
    ...('skipped' in r.influx ? [r.influx.skipped] : influxSection(r.influx)),
    ...(notes.length === 0 ? [] : ['', 'notes', ...notes]),
    ...errors,
  ].join('\n');
}

/**
 * What the throughput target would cost in CPU at the gateway's measured cost per message (broker
 * and load generator, which share the machine): more cores than the machine has means the target
 * is out of reach without cutting that cost, however the work is scheduled.
 */
function targetBudget(r: BenchResults): string {
  if (r.floor === undefined) return line('CPU the target needs', 'no durable floor measured (--skip floor)');
  const rate = GOALS.floorRatio * r.floor.messagesPerS;
  const loadUs = (r.gateway.loadCores * 1e6) / r.gateway.messagesPerS;
  const cores = (rate * (r.gateway.brokerCpuUsPerMessage + loadUs)) / 1e6;
  // What the gateway may cost per message at the target's rate, with the load generator beside it,
  // were the machine as busy as in the floor's run, or as in the busiest run (raw aedes's, as a rule).
  const busy = (t: { brokerCores: number; loadCores: number }): number => t.brokerCores + t.loadCores;
  const floorCores = busy(r.floor);
  const mostCores = Math.max(floorCores, busy(r.gateway), busy(r.raw));
  const allowed = (c: number): string => `${fixed(1)((c * 1e6) / rate - loadUs)} µs at ${fixed(2)(c)} cores busy`;
  return [
    line(
      'CPU the target needs',
      `${int(rate)} msgs/s × (gateway ${fixed(1)(r.gateway.brokerCpuUsPerMessage)} µs + load ${fixed(1)(loadUs)} µs per message) = ${fixed(2)(cores)} cores of ${r.machine.cpus}`,
    ),
    line(
      'gateway CPU per message the target allows',
      `${allowed(floorCores)} (as in the floor's run), ${allowed(mostCores)} (the busiest run); now ${fixed(1)(r.gateway.brokerCpuUsPerMessage)} µs`,
    ),
  ].join('\n');
}

/** Throughput with the InfluxDB output against without, the points shipped under load and after, and the checks. */
function influxSection(x: InfluxResults): string[] {
  const { batching, underLoad, drain, points } = x;
  const how = batching === undefined ? '' : ` (≤ ${int(batching.batchSize)} points per write, outbox polled every ${int(batching.flushIntervalMs)} ms)`;
  const drained = (): string => {
    if (drain.backlog === 0) return 'nothing queued when the load stopped';
    const took = `${int(drain.backlog)} points in ${fixed(2)(drain.seconds)} s`;
    if (!drain.drained) return `NOT DRAINED: ${took}, ${int(points.pending)} still pending`;
    const oneWrite = batching !== undefined && drain.backlog <= batching.batchSize ? ' (one write or less: the sender had kept up)' : '';
    return `${took}: ${int(drain.pointsPerS)} points/s${oneWrite}`;
  };
  return [
    `InfluxDB output${how}`,
    line(
      'throughput gateway + InfluxDB / gateway',
      `${percent(x.throughputRatio)}${x.rounds.length > 1 ? `, median of ${x.rounds.length} rounds` : ''} (target ≥ ${GOALS.influxThroughputRatio * 100}%)   ${verdict(x.throughputRatio >= GOALS.influxThroughputRatio)}`,
    ),
    line('rounds, msgs/s without → with', x.rounds.map((r) => `${int(r.withoutPerS)} → ${int(r.withPerS)} (${percent(r.ratio)})`).join(', ')),
    line('CPU per message without → with (µs)', x.rounds.map((r) => `${fixed(1)(r.withoutCpuUs)} → ${fixed(1)(r.withCpuUs)}`).join(', ')),
    line('InfluxDB server CPU per point (µs)', x.rounds.map((r) => (r.serverCpuUsPerPoint === undefined ? '–' : fixed(1)(r.serverCpuUsPerPoint))).join(', ') + ' (the server shares the machine)'),
    line(
      'the target leaves output + server (µs)',
      `${x.rounds.map((r) => `${fixed(1)(r.allowedUs)} (took ${fixed(1)(r.withCpuUs - r.withoutCpuUs)} + ${r.serverCpuUsPerPoint === undefined ? '–' : fixed(1)(r.serverCpuUsPerPoint)})`).join(', ')}: a ninth of the machine's CPU a message without the output; took: the gateway's more + the server's`,
    ),
    ...discardedLines(x),
    line('points/s to the server while measured', `${int(underLoad.pointsPerS)} (readings acknowledged: ${int(x.target.messagesPerS)}/s)`),
    line('backlog at the end of the measured time', `${int(underLoad.backlogAtEnd)} points`),
    line('drain after the load stopped', drained()),
    line(
      'points delivered',
      `${int(points.delivered)} ${points.delivered === points.expected ? '=' : '≠'} ${int(points.expected)} acknowledged, ${int(points.pending)} pending, ${int(points.dead)} dead   ${check(points.ok)}`,
    ),
    storedRowsLine('stored rows', x.storedRows),
  ];
}

/** The output written to an endpoint that stores nothing: a figure beside the target, when it was run. */
function discardedLines(x: InfluxResults): string[] {
  if (x.discardedRatio === undefined) return [];
  const rounds = x.rounds.flatMap((r) => (r.discarded === undefined ? [] : [{ ...r.discarded, withoutPerS: r.withoutPerS, withoutCpuUs: r.withoutCpuUs }]));
  return [
    line('nothing stored: with / without the output', `${percent(x.discardedRatio)}${rounds.length > 1 ? `, median of ${rounds.length} rounds` : ''} (a figure: the output's own cost, written to an endpoint that stores nothing)`),
    line('  rounds, msgs/s without → with', rounds.map((r) => `${int(r.withoutPerS)} → ${int(r.perS)} (${percent(r.ratio)})`).join(', ')),
    line('  CPU per message without → with (µs)', rounds.map((r) => `${fixed(1)(r.withoutCpuUs)} → ${fixed(1)(r.cpuUs)}`).join(', ')),
  ];
}

function storedRowsLine(label: string, rows: StoredRows): string {
  const relation = rows.rows === rows.expected ? '=' : '≠';
  const values = rows.values === undefined ? '' : ` (${int(rows.values)} values ${rows.values === VALUES_PER_READING * rows.rows ? '=' : '≠'} ${VALUES_PER_READING} a row)`;
  return line(label, `${int(rows.rows)} rows ${relation} ${int(rows.expected)} acknowledged${values}, ${int(rows.deadLetters)} dead letters   ${check(rows.ok)}`);
}

/** Why a throughput figure may understate a broker: the machine was full, or something else ran. */
function caveats(name: string, t: TargetSummary, cpus: number): string[] {
  const notes: string[] = [];
  const busy = t.brokerCores + t.loadCores + (t.serverCores ?? 0) + t.otherCores;
  if (t.brokerCores < 0.9 && busy > 0.9 * cpus) {
    notes.push(
      `  ${name}: its process used ${fixed(2)(t.brokerCores)} of a core while the machine's ${cpus} cores were ${fixed(0)((busy / cpus) * 100)}% busy: its throughput is bounded by the cores it shares with the load generator${t.serverCores === undefined ? '' : ' and the InfluxDB server'}; "broker capacity at 1 core" compares CPU cost instead`,
    );
  }
  if (t.otherCores > 0.2) notes.push(`  ${name}: other processes used ${fixed(2)(t.otherCores)} cores while it was measured: rerun on a quiet machine`);
  return notes;
}
