import { withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

/** `vitals-gateway dead-letters`: rejected messages with their reasons, newest first. */
export async function deadLetters(global: GlobalOptions, o: { device?: string | undefined; limit?: number | undefined; json?: boolean | undefined }): Promise<void> {
  await withAnyStore(global, async (store) => {
    const rows = await store.deadLetters.list({ ...(o.device ? { deviceId: o.device } : {}), limit: o.limit ?? 50 });
    if (o.json) {
      stdout.json(rows.map((d) => ({ ...d, receivedAt: isoTime(d.receivedAtMs), payload: d.payload.toString('utf8') })));
      return;
    }
    stdout.table(
      rows.map((d) => ({
        id: d.id,
        receivedAt: isoTime(d.receivedAtMs),
        device: d.deviceId,
        topic: d.topic,
        bytes: d.payloadBytes,
        issues: d.issues.map((i) => `${i.code}${i.path ? `@${i.path}` : ''}`).join(', '),
      })),
      'no dead letters',
    );
  });
}
