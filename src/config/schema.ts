import { z } from 'zod';
import { isTimeZone } from '../domain/index.js';

const Port = z.number().int().min(0).max(65535);
const Ms = z.number().int().min(0);

/**
 * The gateway's one configuration schema. Every default works on a fresh machine with no file;
 * unknown keys are errors, so a misspelt setting never silently does nothing.
 */
export const ConfigSchema = z
  .object({
    /** Names this gateway instance in logs (and, later, in provenance). */
    gatewayId: z.string().min(1).max(64).default('vitals-gateway'),
    /** Holds the SQLite store (`gateway.db`). */
    dataDir: z.string().min(1).default('./data'),
    /** Directory of device profile JSON files; default: the profiles shipped with the gateway. */
    profilesDir: z.string().min(1).optional(),
    mqtt: z
      .object({
        host: z.string().min(1).default('0.0.0.0'),
        /** 0 picks any free port (printed at start-up). */
        port: Port.default(1883),
        /** Set both files to serve MQTT over TLS on `port`. */
        tls: z
          .object({ certFile: z.string().min(1), keyFile: z.string().min(1), caFile: z.string().min(1).optional() })
          .strict()
          .optional(),
        /** Larger reading/status payloads are rejected with `payload-too-large`. */
        maxPayloadBytes: z.number().int().min(256).max(1_048_576).default(65_536),
        /** A client sending a larger MQTT packet is disconnected before the packet is buffered. */
        maxPacketBytes: z.number().int().min(1024).max(268_435_455).default(1_048_576),
        /** A connection that has not sent CONNECT by then is closed. */
        connectTimeoutMs: Ms.default(10_000),
        /** How often connected devices and accounts are checked for revocation (made by `devices revoke` or `clinicians revoke` in another process too). */
        revocationCheckMs: z.number().int().min(10).default(5_000),
      })
      .strict()
      .prefault({}),
    /**
     * An existing MQTT 5 broker (EMQX, Mosquitto) in place of the embedded one: the gateway runs as a
     * worker in the broker's shared subscriptions. Off (embedded broker) unless `url` is set.
     */
    broker: z
      .object({
        /** `mqtt://host:port` or `mqtts://host:port`. */
        url: z.string().regex(/^mqtts?:\/\/[^/\s]+$/, 'mqtt://host:port or mqtts://host:port').optional(),
        /** The workers' own account at the broker (not a device's). */
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        /** Shared-subscription group every worker joins (`$share/<group>/devices/+/readings`, …). */
        group: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('vitals-gateway'),
        /** Connections this worker holds in the group; each carries one unacknowledged message at a time. */
        connections: z.number().int().min(1).max(256).default(32),
        /**
         * `clean`: clean start, no session kept (EMQX passes a lost member's messages to the rest of
         * the group). `persistent`: the broker keeps each connection's session for
         * `sessionExpirySeconds` and delivers its share when the same worker returns (Mosquitto).
         */
        session: z.enum(['clean', 'persistent']).default('clean'),
        sessionExpirySeconds: z.number().int().min(1).max(4_294_967_294).default(600),
        keepaliveSeconds: z.number().int().min(5).max(65_535).default(30),
        /** Wait between reconnection attempts. */
        reconnectMs: z.number().int().min(100).default(1_000),
        tls: z
          .object({ caFile: z.string().min(1).optional(), certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional() })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        /** Readings per message (array or vendor batch). */
        maxBatchReadings: z.number().int().min(1).max(10_000).default(1_000),
        /**
         * A commit starts as soon as this many readings wait and the writer can take one, without
         * waiting for the turn of the event loop to end (what waits meanwhile joins the next commit).
         */
        maxRowsPerCommit: z.number().int().min(1).max(100_000).default(500),
        /** How far ahead of the gateway's clock a reading's (corrected) time may be. */
        maxFutureSkewMs: Ms.default(5 * 60_000),
        /** A device clock off by more than this is flagged as drifting and corrected. */
        clockDriftToleranceMs: Ms.default(60_000),
        /** Pace of a device's messages beyond its per-minute allowance (its stored backlog): slowed to this, not refused. */
        backlogPerSecond: z.number().positive().max(10_000).default(20),
        /** A device with this many rate-limited messages within a minute is disconnected and banned... */
        floodDisconnectAfter: z.number().int().min(1).default(100),
        /** ...for this long (refused with CONNACK 3, server unavailable). */
        floodBanMs: Ms.default(60_000),
      })
      .strict()
      .prefault({}),
    /** InfluxDB v2 (or compatible) time-series output; off unless `url` is set. */
    influx: z
      .object({
        url: z.url().optional(),
        token: z.string().min(1).optional(),
        org: z.string().min(1).default('vitals'),
        bucket: z.string().min(1).default('vitals'),
        /** Points per write request. */
        batchSize: z.number().int().min(1).max(50_000).default(5_000),
        /** How often the outbox is checked for points to send. */
        flushIntervalMs: z.number().int().min(10).default(1_000),
        timeoutMs: z.number().int().min(100).default(10_000),
        /** Back-off after failed writes: doubles from the base up to the max, with jitter. */
        retryBaseMs: z.number().int().min(1).default(1_000),
        retryMaxMs: z.number().int().min(1).default(300_000),
      })
      .strict()
      .prefault({}),
    /** FHIR R4 care record: clinically relevant Observations are sent to it; off unless `url` is set. */
    fhir: z
      .object({
        /** Base URL of the FHIR R4 server (e.g. `https://fhir.example.nhs.uk/R4`). */
        url: z.url().optional(),
        /** A fixed bearer token… */
        token: z.string().min(1).optional(),
        /** …or OAuth 2.0 client credentials (SMART Backend Services: `privateKeyFile` signs a JWT assertion). */
        oauth: z
          .object({
            tokenUrl: z.url(),
            clientId: z.string().min(1),
            clientSecret: z.string().min(1).optional(),
            privateKeyFile: z.string().min(1).optional(),
            keyId: z.string().min(1).optional(),
            scope: z.string().min(1).default('system/Patient.write system/Device.write system/Observation.write'),
          })
          .strict()
          .refine((o) => !(o.clientSecret !== undefined && o.privateKeyFile !== undefined), 'set clientSecret or privateKeyFile, not both')
          .optional(),
        /**
         * The name the service's records are made under: the identifier of a Device without a
         * serial number (`<serviceId>/<deviceId>`) and the provenance tag. Default `gatewayId`.
         * Workers sharing PostgreSQL must all set the same one, or each would make its own Device.
         */
        serviceId: z.string().min(1).max(64).optional(),
        /** Entries per transaction Bundle (Observations plus the Patients and Devices they introduce). */
        batchSize: z.number().int().min(3).max(1_000).default(50),
        /** How often the outbox is checked for Observations to send. */
        flushIntervalMs: z.number().int().min(10).default(1_000),
        timeoutMs: z.number().int().min(100).default(30_000),
        /** Back-off after failed sends: doubles from the base up to the max, with jitter. */
        retryBaseMs: z.number().int().min(1).default(1_000),
        retryMaxMs: z.number().int().min(1).default(300_000),
        /** Local time of summary windows and home BP monitoring days. */
        timeZone: z.string().min(1).refine(isTimeZone, 'an IANA time zone such as Europe/London').default('Europe/London'),
        /** How often window summaries and home BP averages are derived from stored readings. */
        deriveIntervalMs: z.number().int().min(10).default(60_000),
        /** A window or monitoring run is derived this long after it ends (later readings amend it). */
        deriveGraceMs: Ms.default(120_000),
      })
      .strict()
      .refine((f) => !(f.token !== undefined && f.oauth !== undefined), 'set token or oauth, not both')
      .prefault({}),
    /** Key from which clinicians' webhook signing secrets are derived (default `<dataDir>/webhook.key`, created on first use). */
    webhookKeyFile: z.string().min(1).optional(),
    alerts: z
      .object({
        /**
         * The rules engine (thresholds, NEWS2, home BP averages, silent devices). Off: no alert is
         * raised; changes made on the command line are still delivered.
         */
        enabled: z.boolean().default(true),
        /**
         * An open alert not acknowledged within `afterMinutes` goes to the next contact (clinician
         * accounts: e.g. a team, then the on-call clinician), one more each `afterMinutes`.
         */
        escalation: z
          .object({ afterMinutes: z.number().positive().default(15), contacts: z.array(z.string().min(1)).default([]) })
          .strict()
          .prefault({}),
        /** NEWS2 is scored from the latest value of each parameter taken within this window. */
        news2WindowMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
        /** How often devices are checked for silence (profiles' `staleAfterMinutes`). */
        silenceCheckMs: z.number().int().min(10).default(60_000),
        /** How often queued alert deliveries are checked (they are also sent at once after each change). */
        flushIntervalMs: z.number().int().min(10).default(1_000),
        webhookTimeoutMs: z.number().int().min(100).default(10_000),
        /** Longest wait for a clinician's MQTT client to acknowledge (PUBACK) an alert; then it is sent again. */
        mqttAckTimeoutMs: z.number().int().min(100).default(10_000),
        /** Back-off after failed deliveries, per recipient and channel. */
        retryBaseMs: z.number().int().min(1).default(1_000),
        retryMaxMs: z.number().int().min(1).default(300_000),
        /** An alert change not delivered to a recipient within this long is kept as dead (count, `/healthz`, `outbox requeue`). */
        deliveryTtlMs: z.number().int().min(1_000).default(24 * 60 * 60_000),
      })
      .strict()
      .prefault({}),
    /**
     * The BLE bridge to BlueZ (D-Bus system bus, or `DBUS_SYSTEM_BUS_ADDRESS`): on unless disabled;
     * without BlueZ the gateway runs without it and says so once.
     */
    ble: z
      .object({
        enabled: z.boolean().default(true),
        /** Longest wait for one D-Bus call (they hang when the bus or the device dies). */
        callTimeoutMs: z.number().int().min(10).default(5_000),
        /** Longest wait to find and connect a device and resolve its services. */
        connectTimeoutMs: z.number().int().min(10).default(30_000),
        /** Back-off between reconnection attempts to a device that walked away. */
        reconnectBaseMs: z.number().int().min(1).default(2_000),
        reconnectMaxMs: z.number().int().min(1).default(120_000),
        /** Longest wait for a glucose meter's answer to a stored-records request. */
        racpTimeoutMs: z.number().int().min(10).default(30_000),
        /** How often the device list is re-read (devices added or revoked on the command line). */
        refreshMs: z.number().int().min(10).default(5_000),
      })
      .strict()
      .prefault({}),
    /** Key of patient pseudonyms in outputs (default `<dataDir>/pseudonym.key`, created on first use). */
    pseudonymKeyFile: z.string().min(1).optional(),
    /** The research secret: each project's pseudonymisation key is derived from it (default `<dataDir>/research.key`, created on first use). */
    researchKeyFile: z.string().min(1).optional(),
    research: z
      .object({
        /** How finely a readings-level extract gives times (never exactly). */
        timePrecision: z.enum(['hour', 'day', 'week']).default('hour'),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** Commit readings on a dedicated thread (its own SQLite connection), beside the MQTT event loop. */
        writerThread: z.boolean().default(true),
        /**
         * PostgreSQL instead of the embedded SQLite file: one database shared by workers on several
         * machines (with `broker.url`). Prefer `VG_POSTGRES_URL`: the URL may hold a password.
         */
        postgres: z
          .object({
            url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'postgres://user:password@host:port/database'),
            /** Connections this worker keeps open to the database. */
            poolSize: z.number().int().min(1).max(100).default(10),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        /** Serve `/metrics` and `/healthz`. */
        enabled: z.boolean().default(true),
        /** Loopback by default: expose deliberately. */
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks any free port. */
        port: Port.default(9464),
        /** Also serve an external broker's authentication and authorisation (EMQX's HTTP sources) from the registry. */
        brokerAuth: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    web: z
      .object({
        /** Serve the web app and its JSON API (`/api/v1`). */
        enabled: z.boolean().default(true),
        /** Loopback by default: put it behind TLS (here or at a proxy) before exposing it. */
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks any free port. */
        port: Port.default(8080),
        /** Set both files to serve HTTPS (session cookies are then `Secure`). */
        tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict().optional(),
        /** A browser session unused this long is signed out. */
        sessionIdleMinutes: z.number().int().min(1).max(24 * 60).default(30),
        /** Single sign-on through an OpenID Connect provider (e.g. NHS CIS2 Authentication); local sign-in stays available. */
        oidc: z
          .object({
            issuer: z.url(),
            clientId: z.string().min(1),
            /** Prefer `VG_WEB_OIDC_CLIENT_SECRET`. */
            clientSecret: z.string().min(1),
            /** This app's callback as the provider knows it: `<public URL>/auth/oidc/callback`. */
            redirectUri: z.url(),
            /** The ID token claim naming the account (its id here). */
            accountClaim: z.string().min(1).default('sub'),
            /** Scopes asked for: `openid` and whatever puts `accountClaim` in the ID token. */
            scope: z.string().min(1).default('openid'),
            /** What the sign-in button says. */
            label: z.string().min(1).default('Sign in with single sign-on'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
