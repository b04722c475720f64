/**
 * Each table's columns, named in every statement that reads whole rows. Statements are prepared once
 * per connection, and a prepared `SELECT *` fails ("cached plan must not change result type") once
 * a newer worker's migration adds a column, so during a rolling upgrade the older workers would
 * fail until restarted. A listed column set does not change under them.
 */
const COLUMNS = {
  alerts: ['id', 'key', 'patient_nhs', 'device_id', 'rule_id', 'severity', 'state', 'message', 'value', 'opened_at', 'updated_at', 'escalation_level', 'snoozed_until', 'observation_id', 'assigned_to', 'sample_at'],
  clinicians: ['id', 'name', 'secret_hash', 'status', 'role', 'webhook_url', 'created_at', 'revoked_at'],
  dead_letters: ['id', 'device_id', 'topic', 'received_at', 'payload', 'payload_bytes', 'payload_sha256', 'issues'],
  derived_observations: ['key', 'patient_nhs', 'period_start', 'period_end', 'status', 'content', 'observation', 'updated_at'],
  devices: ['id', 'profile_id', 'patient_nhs', 'serial', 'secret_hash', 'status', 'created_at', 'revoked_at', 'secret_rotated_at', 'ble_address'],
  device_health: ['device_id', 'last_seen_at', 'last_reading_at', 'battery_pct', 'signal_dbm', 'firmware', 'clock_offset_ms', 'clock_drift', 'status_at'],
  outbox: ['id', 'sink', 'payload', 'items', 'created_at', 'state', 'last_error', 'lane', 'claimed_by', 'claimed_until'],
  patient_overrides: ['patient_nhs', 'rule_id', 'above', 'below', 'clear_at', 'set_by', 'set_at'],
  patient_settings: ['patient_nhs', 'spo2_scale', 'set_by', 'set_at'],
  reading_values: [
    'id',
    'reading_key',
    'device_id',
    'patient_nhs',
    'profile_id',
    'metric',
    'value',
    'unit',
    'source_unit',
    'taken_at',
    'device_taken_at',
    'received_at',
    'clock_offset_ms',
    'message_id',
    'payload_sha256',
    'status',
    'first_value',
    'position',
  ],
} as const;

/** A table's (or view's) columns as a select list, each prefixed with `alias.` when given. */
export function columns(table: keyof typeof COLUMNS, alias?: string): string {
  return COLUMNS[table].map((c) => (alias === undefined ? c : `${alias}.${c}`)).join(', ');
}
