import { GatewayError } from '../domain/index.js';
import { backendFor } from '../backends/index.js';
import { Gateway } from '../gateway.js';
import { brokerAddress } from '../ingest/broker-worker/index.js';
import { createLogger } from '../observability/index.js';
import { applyV8Flags } from '../runtime/index.js';
import { commandConfig, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

export interface StartOptions {
  readonly mqttPort?: number | undefined;
  readonly mqttHost?: string | undefined;
  readonly httpPort?: number | undefined;
  readonly influxUrl?: string | undefined;
  readonly influxToken?: string | undefined;
  readonly influxOrg?: string | undefined;
  readonly influxBucket?: string | undefined;
  readonly fhirUrl?: string | undefined;
  readonly fhirToken?: string | undefined;
  readonly profilesDir?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly webPort?: number | undefined;
  readonly broker?: string | undefined;
  readonly brokerConnections?: number | undefined;
  readonly retire?: boolean | undefined;
}

/** `vitals-gateway start`: runs until SIGINT/SIGTERM, then stops gracefully (a second signal forces exit). */
export async function start(global: GlobalOptions, options: StartOptions): Promise<void> {
  applyV8Flags();
  const config = commandConfig(global, {
    'mqtt.port': options.mqttPort,
    'mqtt.host': options.mqttHost,
    'broker.url': options.broker,
    'broker.connections': options.brokerConnections,
    'http.port': options.httpPort,
    'web.port': options.webPort,
    'influx.url': options.influxUrl,
    'influx.token': options.influxToken,
    'influx.org': options.influxOrg,
    'influx.bucket': options.influxBucket,
    'fhir.url': options.fhirUrl,
    'fhir.token': options.fhirToken,
    profilesDir: options.profilesDir,
    'log.level': options.logLevel,
  });
  const log = createLogger({ level: config.log.level, name: config.gatewayId });
  const gateway = new Gateway(backendFor(config), config, log);
  if (options.retire === true) return retire(gateway, config.broker.url);
  const { mqttPort, httpPort, webPort, worker } = await gateway.start();
  const scheme = config.mqtt.tls === undefined ? 'mqtt' : 'mqtts';
  if (mqttPort !== undefined) stdout.line(`vitals-gateway listening on ${scheme}://${config.mqtt.host}:${mqttPort} (data: ${config.dataDir})`);
  else {
    const address = brokerAddress(config.broker.url ?? '');
    const data = config.store.postgres === undefined ? config.dataDir : 'PostgreSQL';
    stdout.line(`vitals-gateway worker on ${address} with ${config.broker.connections} connections in $share/${config.broker.group} (data: ${data})`);
    void worker?.whenReady().then(() => stdout.line(`subscribed at ${address}: every connection up`));
  }
  if (httpPort !== undefined) stdout.line(`metrics and health on http://${config.http.host}:${httpPort}/metrics and /healthz`);
  if (webPort !== undefined) stdout.line(`web app on ${config.web.tls === undefined ? 'http' : 'https'}://${config.web.host}:${webPort}/`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(1);
    log.info({ signal }, 'stopping');
    gateway.stop().then(
      () => log.flush(() => process.exit(0)),
      (error: unknown) => {
        log.error({ err: String(error) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** How long a retiring worker waits with nothing arriving before it ends its sessions. */
const RETIRE_QUIET_MS = 3_000;

/** `start --broker … --retire`: takes what this worker's kept sessions hold, ends them, exits. */
async function retire(gateway: Gateway, url: string | undefined): Promise<void> {
  if (url === undefined) throw new GatewayError('GW_CONFIG_INVALID', '--retire needs --broker (or broker.url): it retires a worker on an external broker');
  const { worker } = await gateway.start({ retireWorker: true });
  try {
    const r = await worker?.retire(RETIRE_QUIET_MS);
    stdout.line(`retired: ${r?.drained ?? 0} messages taken from its kept sessions, ${r?.sessions ?? 0} sessions ended at ${brokerAddress(url)}`);
  } finally {
    await gateway.stop();
  }
}
