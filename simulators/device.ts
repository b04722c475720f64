import mqtt, { type MqttClient } from 'mqtt';

/** The gateway's reply on `devices/<id>/rejected` when (part of) a message is refused. */
export interface Rejection {
  readonly messageId: string | null;
  readonly topic: string;
  readonly accepted: number;
  readonly issues: readonly { readonly code: string; readonly path: string; readonly message: string }[];
}

/** Device channels the simulator publishes on. */
export type DeviceChannel = 'readings' | 'status';

/** What a simulated device needs from its connection: publish and learn when it is acknowledged. */
export interface DeviceLink {
  /** Resolves when the gateway acknowledged the message (PUBACK at QoS 1, written to the socket at QoS 0). */
  publish(channel: DeviceChannel, payload: Buffer): Promise<void>;
}

export interface DeviceConnectionOptions {
  readonly url: string;
  readonly deviceId: string;
  readonly secret: string;
  readonly qos: 0 | 1;
  readonly connectTimeoutMs: number;
  /** A publish not acknowledged by then fails, so a lost PUBACK never hangs a run. */
  readonly ackTimeoutMs: number;
  readonly onRejection: (rejection: Rejection) => void;
  /** Problems outside any one publish: a dropped connection, an unreadable rejection. */
  readonly onError: (message: string) => void;
}

const topic = (deviceId: string, channel: string): string => `devices/${deviceId}/${channel}`;

/**
 * One simulated device's MQTT session (the one file that speaks mqtt.js). The client id and the
 * username are the device id, as the gateway requires; the device listens on its `rejected` topic.
 * There is no automatic reconnect: a dropped connection fails what is in flight and is reported.
 */
export class DeviceConnection implements DeviceLink {
  private readonly inflight = new Set<(error: Error) => void>();
  /** Set once the connection is gone or going: nothing more is written on it. */
  private closed = false;
  /** Why the gateway closed the connection, when it did (not set when the simulator closed it). */
  closedByGateway: string | undefined;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: DeviceConnectionOptions,
  ) {
    client.on('error', (error) => {
      // While closing on purpose, mqtt.js may still report the end of its own stream: not a fault of the run.
      if (!this.closed) options.onError(`${options.deviceId}: ${error.message}`);
    });
    client.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.closedByGateway = 'the gateway closed the connection';
      options.onError(`${options.deviceId}: the connection closed`);
      for (const fail of this.inflight) fail(new Error('the connection closed before the message was acknowledged'));
    });
    client.on('message', (t, payload) => {
      if (t !== topic(options.deviceId, 'rejected')) return;
      try {
        options.onRejection(JSON.parse(payload.toString('utf8')) as Rejection);
      } catch {
        options.onError(`${options.deviceId}: a rejection that is not JSON`);
      }
    });
  }

  /** Connects and subscribes to the device's rejected topic; rejects when the gateway refuses. */
  static async open(options: DeviceConnectionOptions): Promise<DeviceConnection> {
    const client = await mqtt.connectAsync(
      options.url,
      {
        clientId: options.deviceId,
        username: options.deviceId,
        password: options.secret,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: options.connectTimeoutMs,
      },
      false,
    );
    const connection = new DeviceConnection(client, options);
    const granted = await client.subscribeAsync(topic(options.deviceId, 'rejected'), { qos: 1 });
    // [MQTT-3.9.3] 0x80 in SUBACK: the subscription was refused
    if (granted.some((g) => g.qos === 128)) options.onError(`${options.deviceId}: the gateway refused the rejected-topic subscription`);
    return connection;
  }

  publish(channel: DeviceChannel, payload: Buffer): Promise<void> {
    // Never written on a connection that is closed or closing (mqtt.js would fail with "write after end").
    if (this.closed || !this.client.connected || this.client.disconnecting) return Promise.reject(new Error('the connection is closed'));
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.inflight.delete(fail);
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`not acknowledged within ${this.options.ackTimeoutMs} ms`)), this.options.ackTimeoutMs);
      this.inflight.add(fail);
      this.client.publish(topic(this.options.deviceId, channel), payload, { qos: this.options.qos }, (error) => {
        if (error !== undefined && error !== null) return fail(error);
        clearTimeout(timer);
        this.inflight.delete(fail);
        resolve();
      });
    });
  }

  /**
   * Disconnects cleanly: first stops the rejections (UNSUBSCRIBE, so the gateway sends no more and
   * the client has nothing left to acknowledge), then DISCONNECT. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.client.connected) await this.client.unsubscribeAsync(topic(this.options.deviceId, 'rejected')).catch(() => undefined);
    this.closed = true;
    await this.client.endAsync();
  }
}
