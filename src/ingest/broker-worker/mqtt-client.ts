import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { GatewayError } from '../../domain/index.js';

/** One connection to the external broker, as the worker sees it. */
export interface BrokerConnectionOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Clean start and no session kept (`clean`), or a session the broker keeps this long (seconds). */
  readonly sessionExpirySeconds: number | 'clean';
  readonly keepaliveSeconds: number;
  readonly reconnectMs: number;
  readonly tls?: { readonly caFile?: string | undefined; readonly certFile?: string | undefined; readonly keyFile?: string | undefined } | undefined;
  /** Subscribed at QoS 1 on every connect, whatever the broker says of the session. */
  readonly filters: readonly string[];
  /** Unsubscribe them instead (retiring: take what the kept session holds, and no new share). */
  readonly retiring?: boolean;
}

export interface BrokerConnectionEvents {
  /**
   * A QoS 0/1 message. The PUBACK goes out once the returned promise resolves; if it rejects no
   * PUBACK is sent and the connection is dropped and made again, so the broker delivers the
   * message again (a kept session) or to another member of the group.
   */
  message(topic: string, payload: Buffer): Promise<void>;
  /** Connected and subscribed. */
  up(): void;
  /** Lost; mqtt.js reconnects every `reconnectMs`. */
  down(reason: string): void;
}

/**
 * mqtt.js, the only place the gateway uses it: an MQTT 5 client that acknowledges each QoS 1
 * message only after the worker's commit (`customHandleAcks`) and subscribes again on every
 * connect — a broker may report the session present yet have dropped its shared subscriptions.
 * mqtt.js handles a connection's messages one at a time (the next is read once the previous is
 * acknowledged), so a worker's messages in flight are its number of connections.
 */
export class BrokerConnection {
  private readonly client: MqttClient;
  private wasUp = false;
  /** PUBACK reason codes by packet id, until the publish they answer settles (mqtt.js passes on only errors). */
  private readonly pubackCodes = new Map<number, number>();

  constructor(
    options: BrokerConnectionOptions,
    private readonly events: BrokerConnectionEvents,
  ) {
    const clean = options.sessionExpirySeconds === 'clean';
    const client = mqtt.connect(options.url, {
      protocolVersion: 5,
      clientId: options.clientId,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      clean,
      properties: { sessionExpiryInterval: clean ? 0 : (options.sessionExpirySeconds as number) },
      keepalive: options.keepaliveSeconds,
      reconnectPeriod: options.reconnectMs,
      connectTimeout: 10_000,
      resubscribe: false,
      ...tlsOptions(options.tls),
      customHandleAcks: (topic, payload, _packet, done) => {
        this.events.message(topic, payload).then(
          () => done(0),
          (error: unknown) => {
            // No PUBACK (an error PUBACK would end the message at the broker): drop the connection
            // instead, so the broker sends the message again. `done` stays uncalled: this
            // connection's later messages die with it, unacknowledged.
            this.events.down(`message not committed: ${error instanceof Error ? error.message : String(error)}`);
            client.stream?.destroy();
          },
        );
      },
    } satisfies IClientOptions);
    client.on('connect', () => {
      if (options.retiring === true) {
        client.unsubscribe([...options.filters], (error) => {
          if (error) this.events.down(`unsubscribe refused: ${error.message}`);
          else {
            this.wasUp = true;
            this.events.up();
          }
        });
        return;
      }
      client.subscribe(
        [...options.filters],
        { qos: 1 },
        (error, granted) => {
          const refused = (granted ?? []).filter((g) => (g.qos & 0x80) !== 0);
          if (error || refused.length > 0) {
            this.events.down(`subscription refused: ${error?.message ?? refused.map((g) => g.topic).join(', ')}`);
            return;
          }
          this.wasUp = true;
          this.events.up();
        },
      );
    });
    client.on('close', () => {
      if (this.wasUp) this.events.down('connection closed');
      this.wasUp = false;
    });
    client.on('error', (error) => this.events.down(error.message));
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) this.pubackCodes.set(packet.messageId, packet.reasonCode ?? 0);
    });
    this.client = client;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * QoS 1 publish; resolves on the broker's PUBACK with its reason code (0 taken; 0x10 taken, but
   * no subscription matched, so no one will receive it), or rejects: refused, or lost with the
   * connection.
   */
  publish(topic: string, payload: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.client.publish(topic, payload, { qos: 1, retain: false }, (error, packet) => {
        if (error) return reject(error);
        const id = packet?.messageId;
        const code = id === undefined ? undefined : this.pubackCodes.get(id);
        if (id !== undefined) this.pubackCodes.delete(id);
        resolve(code ?? 0);
      });
    });
  }

  /** Ends the connection (an unacknowledged message stays with the broker). */
  end(): Promise<void> {
    return new Promise((resolve) => this.client.end(false, {}, () => resolve()));
  }

  /** Ends the connection and the session the broker keeps for it (DISCONNECT with session expiry 0). */
  endSession(): Promise<void> {
    return new Promise((resolve) => this.client.end(false, { properties: { sessionExpiryInterval: 0 } }, () => resolve()));
  }

  /** Drops the connection at once, as a crash would (tests). */
  destroy(): void {
    this.client.end(true);
  }
}

function tlsOptions(tls: BrokerConnectionOptions['tls']): Partial<IClientOptions> {
  if (tls === undefined) return {};
  try {
    return {
      ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
      ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
      ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
      rejectUnauthorized: true,
    };
  } catch (cause) {
    throw new GatewayError('GW_TLS_FILES_UNREADABLE', `cannot read the broker's TLS files: ${(cause as Error).message}`, { cause });
  }
}
