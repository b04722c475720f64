/**
 * Why one message or reading was rejected. Codes are a closed, documented set
 * (docs/errors.md); devices receive them on `devices/<id>/rejected`.
 */
export const IssueCode = {
  /** The payload is not valid JSON (or not UTF-8). */
  PayloadMalformedJson: 'payload-malformed-json',
  /** The payload is larger than `mqtt.maxPayloadBytes`. */
  PayloadTooLarge: 'payload-too-large',
  /** The JSON does not have the shape the device's profile expects. */
  PayloadInvalid: 'payload-invalid',
  /** A batch holds more readings than `ingest.maxBatchReadings`. */
  BatchTooLarge: 'batch-too-large',
  /** A value names a metric the device's profile does not declare. */
  MetricUnknown: 'metric-unknown',
  /** A metric the profile requires in every reading is absent. */
  MetricMissing: 'metric-missing',
  /** A value is not a finite number. */
  ValueNotNumber: 'value-not-number',
  /** The unit is neither the metric's canonical unit nor an accepted alternative. */
  UnitNotAccepted: 'unit-not-accepted',
  /** A value lies outside the profile's hard plausibility limits. */
  ValueOutOfRange: 'value-out-of-range',
  /** A cross-field rule of the profile fails (e.g. systolic must exceed diastolic). */
  RuleViolated: 'rule-violated',
  /** The timestamp cannot be parsed. */
  TimestampInvalid: 'timestamp-invalid',
  /** The timestamp has no UTC offset and the profile declares no time zone. */
  TimestampMissingOffset: 'timestamp-missing-offset',
  /** The (clock-corrected) time lies further in the future than the configured skew allows. */
  TimestampInFuture: 'timestamp-in-future',
  /** The (clock-corrected) time is older than the profile's maximum reading age. */
  TimestampTooOld: 'timestamp-too-old',
  /** The device publishes faster than its profile's maximum rate. */
  RateLimited: 'rate-limited',
  /** A correction names no stored reading of this device (or several: give the messageId). */
  ReadingUnknown: 'reading-unknown',
  /** A correction targets a reading already retracted. */
  ReadingRetracted: 'reading-retracted',
  /** The topic's last level is not one the gateway handles. */
  TopicUnknown: 'topic-unknown',
  /** A message reached a worker through an external broker from a device id the registry does not hold. */
  DeviceUnknown: 'device-unknown',
  /** A message reached a worker through an external broker from a revoked device (or one whose profile is gone). */
  DeviceRevoked: 'device-revoked',
  /** A Bluetooth characteristic value is shorter than its flags promise. */
  Truncated: 'truncated',
  /** A Bluetooth characteristic value holds a special or out-of-range value where a measurement is mandatory. */
  InvalidValue: 'invalid-value',
  /** A Bluetooth characteristic value has bytes after the last field its flags declare. */
  TrailingBytes: 'trailing-bytes',
} as const;
export type IssueCode = (typeof IssueCode)[keyof typeof IssueCode];

/** One machine-readable reason; `path` points into the device's payload (e.g. `[2].values.systolic`). */
export interface Issue {
  readonly code: IssueCode;
  readonly path: string;
  readonly message: string;
}

export const issue = (code: IssueCode, path: string, message: string): Issue => ({ code, path, message });

/** Prefixes every issue's path, e.g. with the index of a reading inside a batch. */
export const atPath = (prefix: string, issues: readonly Issue[]): Issue[] =>
  issues.map((i) => ({ ...i, path: i.path === '' ? prefix : `${prefix}.${i.path}`.replace('.[', '[') }));
