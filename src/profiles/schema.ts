import { z } from 'zod';

/** A field path into a vendor payload: dot-separated keys and array indexes, e.g. `data.bp.sys` or `samples.0.v`. */
const FieldPath = z.string().min(1).regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dot-separated field path');
const UcumCode = z.string().min(1).max(32);
const MetricName = z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'a camelCase metric name');

/** How a timestamp is written in the device's payload. */
const TimeFormat = z.enum(['iso-8601', 'epoch-s', 'epoch-ms']);

const Range = z.object({ low: z.number().optional(), high: z.number().optional() }).strict();

const Metric = z
  .object({
    /** Canonical UCUM unit: values are stored in it. */
    unit: UcumCode,
    /** Other UCUM units the device may send; each must have a known conversion to `unit` (src/domain/units.ts). */
    alternativeUnits: z.array(UcumCode).default([]),
    /** Hard plausibility limits in the canonical unit: outside them a value is rejected. */
    limits: z.object({ min: z.number(), max: z.number() }).strict(),
    /** Whether every reading must carry this metric. */
    required: z.boolean().default(false),
    /** Decimal places kept after unit conversion. */
    decimals: z.number().int().min(0).max(6).default(2),
    /**
     * Reference range in the canonical unit: outside it a forwarded value is interpreted L or H;
     * outside `critical`, LL or HH [FHIR R4 v3-ObservationInterpretation]. Absent: no interpretation.
     */
    normal: Range.optional(),
    critical: Range.optional(),
  })
  .strict();

const Rule = z
  .object({
    type: z.literal('greater-than'),
    metric: MetricName,
    than: MetricName,
    message: z.string().optional(),
  })
  .strict();

const TimeField = z.object({ path: FieldPath, format: TimeFormat.default('iso-8601') }).strict();

const VendorValue = z
  .object({
    path: FieldPath,
    /** The unit the device always uses for this field (UCUM or a common spelling). */
    unit: z.string().optional(),
    /** Or a path to the field naming the unit. */
    unitPath: FieldPath.optional(),
  })
  .strict();

const Payload = z.discriminatedUnion('format', [
  z.object({ format: z.literal('canonical') }).strict(),
  z
    .object({
      format: z.literal('vendor'),
      /** Path to an array of readings when the device batches; absent: the payload is one reading (or an array of them). */
      batchPath: FieldPath.optional(),
      messageId: FieldPath.optional(),
      takenAt: TimeField,
      deviceTime: TimeField.optional(),
      values: z.record(MetricName, VendorValue),
    })
    .strict(),
]);

/**
 * A threshold alert: the metric above (or below) a value opens it; with `clearAt` it clears only
 * once the value is back at or past that value (hysteresis, so it does not flap); with
 * `durationMinutes` the condition must hold that long (continuous metrics). While open, further
 * breaches do not alert again.
 */
const AlertRule = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-"'),
    metric: MetricName,
    above: z.number().optional(),
    below: z.number().optional(),
    clearAt: z.number().optional(),
    durationMinutes: z.number().positive().max(1440).optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    message: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((r) => (r.above === undefined) !== (r.below === undefined), 'set exactly one of above and below')
  .refine((r) => r.clearAt === undefined || (r.above !== undefined ? r.clearAt <= r.above : r.clearAt >= (r.below as number)), {
    message: 'clearAt must lie on the normal side of the threshold (≤ above, ≥ below)',
    path: ['clearAt'],
  });

/**
 * Clinical concepts the FHIR output knows how to code (src/outputs/fhir/codes.ts), each with the
 * UCUM unit its Observation carries [FHIR R4 vital-signs profile; UK Core; clinical.md codes table]:
 * a forwarded metric must be stored in that unit.
 */
export const OBSERVATION_UNITS = {
  'blood-pressure': 'mm[Hg]',
  'heart-rate': '/min',
  'respiratory-rate': '/min',
  'oxygen-saturation': '%',
  'body-temperature': 'Cel',
  'body-weight': 'kg',
  'blood-glucose': 'mmol/L',
  steps: '{steps}',
} as const;
export type ObservationKind = keyof typeof OBSERVATION_UNITS;
const ObservationKind = z.enum(Object.keys(OBSERVATION_UNITS) as [ObservationKind, ...ObservationKind[]]);

const Forward = z
  .object({
    observation: ObservationKind,
    /** The metric carrying the value (every kind but blood-pressure). */
    metric: MetricName.optional(),
    /** blood-pressure: the metrics of its systolic and diastolic components. */
    systolic: MetricName.optional(),
    diastolic: MetricName.optional(),
    /**
     * Continuous streams: one summary Observation per window (tiling the local day) instead of one
     * per sample. mean/min/max/count describe a level such as heart rate; sum a count such as steps.
     */
    summary: z
      .object({
        windowMinutes: z.number().int().min(1).max(1440),
        statistics: z.array(z.enum(['mean', 'min', 'max', 'count', 'sum'])).min(1).default(['mean', 'min', 'max', 'count']),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A 16-bit SIG UUID, e.g. `1810` [Bluetooth Assigned Numbers]. */
const Uuid16 = z.string().regex(/^[0-9A-Fa-f]{4}$/, 'a 16-bit UUID such as 1810').transform((u) => u.toUpperCase());

/** One characteristic the device sends measurements on, and which decoded fields are which metrics. */
const BleMeasurement = z
  .object({
    characteristic: z.enum(['2A35', '2A36', '2A37', '2A18', '2A9D', '2A1C', '2A5E', '2A5F']),
    /** Decoded field (gatt-decode-output.md) → metric of this profile, e.g. `{ "pulseRate": "pulse" }`. */
    metrics: z.record(z.string(), MetricName).refine((m) => Object.keys(m).length > 0, 'at least one field'),
  })
  .strict();

/** How the BLE bridge talks to this device model over GATT; absent: not a Bluetooth profile. */
const Ble = z
  .object({
    /** The primary service holding the measurement characteristics. */
    service: Uuid16,
    measurements: z.array(BleMeasurement).min(1),
    /** The device keeps records, fetched through the Record Access Control Point (2A52) from the last sequence number seen. */
    storedRecords: z.boolean().default(false),
    /** The device exposes Current Time (service 1805, characteristic 2A2B): its clock offset is measured on each connection. */
    currentTime: z.boolean().default(false),
  })
  .strict();

/** What reaches the care record as FHIR Observations; absent: nothing from this profile. */
const Fhir = z
  .object({
    forward: z.array(Forward).min(1),
    /**
     * Home blood pressure averages [NICE NG136 1.2.6] from the blood-pressure forward's metrics:
     * a monitoring run covers `runDays` local days from its first reading; with readings on at least
     * `minDays` of them, the first day is discarded and the rest averaged.
     */
    homeBloodPressureAverage: z
      .object({ minDays: z.number().int().min(2).max(28).default(4), runDays: z.number().int().min(2).max(28).default(7) })
      .strict()
      .optional(),
  })
  .strict();

/** A device profile: what a device model measures, in which units, within which limits, in which payload shape. */
export const DeviceProfileSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and "-"'),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a semantic version such as 1.0.0'),
    name: z.string().min(1),
    deviceClass: z.enum([
      'blood-pressure-monitor',
      'pulse-oximeter',
      'thermometer',
      'weight-scale',
      'glucose-meter',
      'wearable',
    ]),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    /** Episodic: one measurement when the person takes it. Continuous: a stream of samples. */
    sampling: z.enum(['episodic', 'continuous']),
    /** Token-bucket limit on messages (a batch counts once); the bucket holds one minute's worth. */
    maxMessagesPerMinute: z.number().int().positive(),
    /**
     * Messages a device may send beyond its per-minute allowance when it catches up (the readings
     * it stored while offline, sent as it reconnects): they are slowed, paced at
     * `ingest.backlogPerSecond`, never refused. Only messages past this too are refused. The
     * allowance refills at `maxMessagesPerMinute`. Set it to what the device stores.
     */
    maxBacklogReadings: z.number().int().min(0).default(100),
    /** Readings older than this (after clock correction) are rejected; devices that keep records upload late. */
    maxReadingAgeDays: z.number().positive().default(30),
    /** A device silent for longer (no reading taken since) raises a "no data" alert, cleared when data returns. */
    staleAfterMinutes: z.number().int().positive().max(60 * 24 * 31).optional(),
    /** IANA zone of the device's clock, for devices that send local time without a UTC offset. */
    timeZone: z.string().optional(),
    metrics: z.record(MetricName, Metric).refine((m) => Object.keys(m).length > 0, 'at least one metric'),
    rules: z.array(Rule).default([]),
    payload: Payload.default({ format: 'canonical' }),
    alerts: z.array(AlertRule).default([]),
    fhir: Fhir.optional(),
    ble: Ble.optional(),
  })
  .strict();

export type DeviceProfile = z.infer<typeof DeviceProfileSchema>;
export type BleSpec = NonNullable<DeviceProfile['ble']>;
export type ForwardSpec = NonNullable<DeviceProfile['fhir']>['forward'][number];
export type MetricSpec = DeviceProfile['metrics'][string];
export type AlertRuleSpec = DeviceProfile['alerts'][number];
export type VendorPayload = Extract<DeviceProfile['payload'], { format: 'vendor' }>;
export type TimeFieldSpec = VendorPayload['takenAt'];
