import type { Client } from 'aedes';

/** What became of one message sent to a clinician's client. */
export type InboxOutcome = 'acknowledged' | 'away' | 'timeout';

interface Waiting {
  done: boolean;
  readonly settle: (outcome: InboxOutcome) => void;
}

/**
 * Messages to clinicians' own MQTT clients, each done only when that client acknowledges it. A
 * clinician is reachable once their client subscribed to its alert topic; they go away when it
 * disconnects. [MQTT-4.6.0-2] a client sends PUBACKs in the order it received the PUBLISHes, so the
 * acknowledgements of one client settle its messages in the order they were sent (aedes reports
 * the acknowledging client, not always the packet). A message that timed out keeps its place, so
 * its late PUBACK does not settle the next one.
 */
export class ClinicianInboxes {
  private readonly reachable = new Map<string, Client>();
  private readonly waiting = new WeakMap<Client, Waiting[]>();

  constructor(private readonly onReachable: (clinicianId: string) => void) {}

  /** The clinician's client subscribed to its alert topic. */
  subscribed(clinicianId: string, client: Client): void {
    this.reachable.set(clinicianId, client);
    this.onReachable(clinicianId);
  }

  /** A PUBACK from this client. */
  acknowledged(client: Client): void {
    this.waiting.get(client)?.shift()?.settle('acknowledged');
  }

  /** The client went: what it had not acknowledged was not delivered. */
  disconnected(clinicianId: string, client: Client): void {
    if (this.reachable.get(clinicianId) === client) this.reachable.delete(clinicianId);
    for (const w of this.waiting.get(client)?.splice(0) ?? []) w.settle('away');
  }

  /** Sends at QoS 1 to the clinician's client; settles when it acknowledges, goes, or `timeoutMs` passes. */
  send(clinicianId: string, topic: string, payload: Buffer, timeoutMs: number): Promise<InboxOutcome> {
    const client = this.reachable.get(clinicianId);
    if (client === undefined || client.closed) return Promise.resolve('away');
    let queue = this.waiting.get(client);
    if (queue === undefined) this.waiting.set(client, (queue = []));
    const line = queue;
    return new Promise((resolve) => {
      const timer = setTimeout(() => w.settle('timeout'), timeoutMs);
      const w: Waiting = {
        done: false,
        settle: (outcome) => {
          if (w.done) return;
          w.done = true;
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      line.push(w);
      client.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => {
        if (error !== undefined && error !== null) w.settle('away');
      });
    });
  }
}
