import { GatewayError } from '../domain/index.js';
import { ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK } from '../outputs/alerts/index.js';
import { FHIR_SINK } from '../outputs/fhir/index.js';
import { INFLUX_SINK } from '../outputs/influx/index.js';
import { withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

/** The outputs by the name the command line takes: `alerts` is both alert channels (MQTT and webhooks). */
const SINKS: Readonly<Record<string, readonly string[]>> = {
  influx: [INFLUX_SINK],
  fhir: [FHIR_SINK],
  alerts: [ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK],
};

interface OutboxOptions {
  readonly sink: string;
  readonly since?: string | undefined;
  readonly reason?: string | undefined;
  readonly limit?: number | undefined;
  readonly json?: boolean | undefined;
}

function filterOf(o: OutboxOptions): { sinks: readonly string[]; sinceMs: number | undefined; reason: string | undefined } {
  const sinks = SINKS[o.sink];
  if (sinks === undefined) throw new GatewayError('GW_CONFIG_INVALID', `--sink: "${o.sink}" is not an output (one of ${Object.keys(SINKS).join(', ')})`);
  const sinceMs = o.since === undefined ? undefined : Date.parse(o.since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new GatewayError('GW_CONFIG_INVALID', `--since: "${o.since}" is not a date`);
  return { sinks, sinceMs, reason: o.reason };
}

/** `vitals-gateway outbox list --sink …`: the dead entries of an output, oldest first, with their reasons. */
export async function outboxList(global: GlobalOptions, o: OutboxOptions): Promise<void> {
  const filter = filterOf(o);
  await withAnyStore(global, async (store) => {
    const dead = await store.outbox.deadMatching({ ...filter, limit: o.limit ?? 100 });
    const rows = dead.map((d) => ({ id: d.id, sink: d.sink, ...(d.lane === undefined ? {} : { recipient: d.lane }), items: d.items, queuedAt: isoTime(d.createdAtMs), reason: d.error }));
    if (o.json) stdout.json(rows);
    else stdout.table(rows, 'no dead entries');
  });
}

/** `vitals-gateway outbox requeue --sink …`: puts dead entries back in their queues after a fix; a running gateway sends them. */
export async function outboxRequeue(global: GlobalOptions, o: OutboxOptions): Promise<void> {
  const filter = filterOf(o);
  await withAnyStore(global, async (store) => {
    const requeued = await store.outbox.requeue(filter);
    if (o.json) stdout.json({ requeued });
    else stdout.line(`${requeued} entr${requeued === 1 ? 'y' : 'ies'} queued again`);
  });
}
