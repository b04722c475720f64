import { randomUUID } from 'node:crypto';
import { evaluateThreshold, type ThresholdState } from '../../clinical/index.js';
import type { Clock, ReadingRow } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext } from '../../pipeline/index.js';
import type { AlertRuleSpec } from '../../profiles/index.js';
import type { AlertChange, AlertRecord, CommitBatch } from '../../store/reading-store.js';
import { alertDeliveries, type Recipient } from './delivery.js';

export interface AlertEngineMetrics {
  alertChanged(state: AlertRecord['state'], severity: AlertRecord['severity']): void;
}

/** The condition an alert is about: one rule on one device of one patient. */
const keyOf = (nhs: string, deviceId: string, ruleId: string): string => `${nhs}|${deviceId}|${ruleId}`;

/**
 * Threshold rules of the device profiles over each newly stored value, in time order. A breach
 * opens one alert (none again while it is open: repeats are suppressed); a value back past the
 * rule's `clearAt` resolves it (hysteresis, so values around a threshold do not flap). Changes
 * are committed with their audit entry and their deliveries to the patient's clinicians (outbox
 * entries: MQTT topic, webhook), which the senders then ship. Only values stored for the first time are evaluated, so a redelivered or replayed
 * reading never alerts twice; open alerts are reloaded from the store at start.
 */
export class AlertEngine {
  private readonly states = new Map<string, { state: ThresholdState; alert?: AlertRecord | undefined }>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly unresolved: () => readonly AlertRecord[],
    private readonly recipientsOf: (patientNhs: string) => readonly Recipient[],
    private readonly submit: (batch: CommitBatch) => Promise<unknown>,
    /** Told once changes (and their deliveries) are committed: the senders can go at once. */
    private readonly committed: () => void,
    private readonly clock: Clock,
    private readonly metrics: AlertEngineMetrics,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const alert of this.unresolved()) this.states.set(alert.key, { state: { open: true }, alert });
  }

  /** Evaluates newly stored values; the work is chained, so alerts are committed and delivered in order. */
  readonly observe = (device: DeviceContext, rows: readonly ReadingRow[]): void => {
    const changes = this.evaluate(device, rows);
    if (changes.length === 0) return;
    this.chain = this.chain.then(() => this.commitAndDeliver(changes));
  };

  /** Resolves once every change so far is committed (its deliveries queued). */
  settled(): Promise<void> {
    return this.chain;
  }

  private evaluate(device: DeviceContext, rows: readonly ReadingRow[]): AlertChange[] {
    const changes: AlertChange[] = [];
    const now = this.clock.now();
    for (const rule of device.profile.alerts) {
      const samples = rows.filter((r) => r.metric === rule.metric).sort((a, b) => a.takenAtMs - b.takenAtMs);
      for (const s of samples) {
        const key = keyOf(device.patientNhs, device.deviceId, rule.id);
        const current = this.states.get(key) ?? { state: { open: false } };
        const { state, transition } = evaluateThreshold(rule, current.state, s.value, s.takenAtMs);
        let alert = current.alert;
        if (transition === 'open') {
          alert = { id: randomUUID(), key, patientNhs: device.patientNhs, deviceId: device.deviceId, ruleId: rule.id, severity: rule.severity, state: 'open', message: describe(rule, s), value: s.value, openedAtMs: now, updatedAtMs: now };
          changes.push({ alert, by: 'rules', note: undefined });
        } else if (transition === 'resolve' && alert !== undefined) {
          changes.push({ alert: { ...alert, state: 'resolved', value: s.value, updatedAtMs: now }, by: 'rules', note: `back to ${s.value} ${s.unit}` });
          alert = undefined;
        }
        this.states.set(key, { state, alert });
      }
    }
    return changes;
  }

  private async commitAndDeliver(changes: readonly AlertChange[]): Promise<void> {
    try {
      // The changes and their deliveries in one transaction: a delivery is never lost or made up.
      await this.submit({ rows: [], deadLetters: [], health: [], alerts: changes, outbox: alertDeliveries(changes, this.recipientsOf) });
    } catch (error) {
      // The reading is stored; its alert is not: logged loudly (a store failure is visible on /healthz too).
      this.log.error({ err: error instanceof Error ? error.message : String(error), alerts: changes.map((c) => c.alert.id) }, 'alert changes not stored');
      return;
    }
    for (const change of changes) {
      this.metrics.alertChanged(change.alert.state, change.alert.severity);
      this.log.info({ alertId: change.alert.id, rule: change.alert.ruleId, state: change.alert.state }, 'alert changed');
    }
    this.committed();
  }
}

function describe(rule: AlertRuleSpec, s: ReadingRow): string {
  const condition = rule.above !== undefined ? `above ${rule.above}` : `below ${String(rule.below)}`;
  return rule.message ?? `${s.metric} ${s.value} ${s.unit} is ${condition}${rule.durationMinutes !== undefined ? ` for ${rule.durationMinutes} minutes` : ''}`;
}
