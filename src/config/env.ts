/**
 * The only reader of `process.env`. Each variable maps to one config key; values are typed here so
 * the schema sees numbers as numbers.
 */
export const ENV_VARS = {
  VG_GATEWAY_ID: { key: 'gatewayId', type: 'string' },
  VG_DATA_DIR: { key: 'dataDir', type: 'string' },
  VG_PROFILES_DIR: { key: 'profilesDir', type: 'string' },
  VG_MQTT_HOST: { key: 'mqtt.host', type: 'string' },
  VG_MQTT_PORT: { key: 'mqtt.port', type: 'number' },
  VG_MQTT_TLS_CERT_FILE: { key: 'mqtt.tls.certFile', type: 'string' },
  VG_MQTT_TLS_KEY_FILE: { key: 'mqtt.tls.keyFile', type: 'string' },
  VG_MQTT_TLS_CA_FILE: { key: 'mqtt.tls.caFile', type: 'string' },
  VG_MQTT_MAX_PAYLOAD_BYTES: { key: 'mqtt.maxPayloadBytes', type: 'number' },
  VG_BROKER_URL: { key: 'broker.url', type: 'string' },
  VG_BROKER_USERNAME: { key: 'broker.username', type: 'string' },
  VG_BROKER_PASSWORD: { key: 'broker.password', type: 'string' },
  VG_BROKER_CONNECTIONS: { key: 'broker.connections', type: 'number' },
  VG_POSTGRES_URL: { key: 'store.postgres.url', type: 'string' },
  VG_INFLUX_URL: { key: 'influx.url', type: 'string' },
  VG_INFLUX_TOKEN: { key: 'influx.token', type: 'string' },
  VG_INFLUX_ORG: { key: 'influx.org', type: 'string' },
  VG_INFLUX_BUCKET: { key: 'influx.bucket', type: 'string' },
  VG_FHIR_URL: { key: 'fhir.url', type: 'string' },
  VG_FHIR_TOKEN: { key: 'fhir.token', type: 'string' },
  VG_FHIR_OAUTH_TOKEN_URL: { key: 'fhir.oauth.tokenUrl', type: 'string' },
  VG_FHIR_OAUTH_CLIENT_ID: { key: 'fhir.oauth.clientId', type: 'string' },
  VG_FHIR_OAUTH_CLIENT_SECRET: { key: 'fhir.oauth.clientSecret', type: 'string' },
  VG_FHIR_OAUTH_PRIVATE_KEY_FILE: { key: 'fhir.oauth.privateKeyFile', type: 'string' },
  VG_PSEUDONYM_KEY_FILE: { key: 'pseudonymKeyFile', type: 'string' },
  VG_WEBHOOK_KEY_FILE: { key: 'webhookKeyFile', type: 'string' },
  VG_RESEARCH_KEY_FILE: { key: 'researchKeyFile', type: 'string' },
  VG_HTTP_HOST: { key: 'http.host', type: 'string' },
  VG_HTTP_PORT: { key: 'http.port', type: 'number' },
  VG_WEB_HOST: { key: 'web.host', type: 'string' },
  VG_WEB_PORT: { key: 'web.port', type: 'number' },
  VG_WEB_OIDC_CLIENT_SECRET: { key: 'web.oidc.clientSecret', type: 'string' },
  VG_LOG_LEVEL: { key: 'log.level', type: 'string' },
} as const satisfies Record<string, { key: string; type: 'string' | 'number' }>;

/** The config file named by the environment, if any. */
export const configFileFromEnv = (env: NodeJS.ProcessEnv = process.env): string | undefined => env['VG_CONFIG'] || undefined;

/** `key → value` for each VG_* variable that is set. A non-numeric number is passed on as text for the schema to reject. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    out[key] = type === 'number' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  }
  return out;
}
