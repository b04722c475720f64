import type { Observation, ObservationComponent } from '@medplum/fhirtypes';
import type { HomeBpAverage, Statistic, WindowStatistics } from '../../clinical/index.js';
import type { DeviceProfile, ForwardSpec } from '../../profiles/index.js';
import { AVERAGE_BP, categoryConcept, CODES, INTERPRETATION, STATISTICS } from './codes.js';
import { deviceIdentity, deviceResource, hashUuid, provenanceTags, quantity, VG, type PlannedObservation } from './observation.js';

type Status = 'final' | 'amended' | 'entered-in-error';

/** [FHIR R4 observation-statistics] the code of each statistic. */
const STATISTIC_CODE: Readonly<Record<Statistic, { code: string; display: string }>> = {
  mean: { code: 'average', display: 'Average' },
  min: { code: 'minimum', display: 'Minimum' },
  max: { code: 'maximum', display: 'Maximum' },
  count: { code: 'count', display: 'Count' },
  sum: { code: 'sum', display: 'Sum' },
};

const iso = (ms: number): string => new Date(ms).toISOString();

export interface SummaryOrigin {
  readonly gatewayId: string;
  readonly gatewayVersion: string;
  readonly deviceId: string;
  readonly serial: string | undefined;
  readonly profile: DeviceProfile;
  readonly nhs: string;
}

/**
 * One window of a continuous stream as a summary Observation [clinical.md: summaries of continuous
 * streams]: `effectivePeriod` the window, the value its mean (or, for a count such as steps, its
 * sum), the other statistics as components coded with observation-statistics, and the method
 * stated. Its identifier hashes device, code and window (not the values), so a recomputed window
 * replaces the Observation it amends.
 */
export function summaryObservation(
  origin: SummaryOrigin,
  spec: ForwardSpec & { summary: NonNullable<ForwardSpec['summary']> },
  window: { startMs: number; endMs: number },
  stats: WindowStatistics,
  status: Status,
  issuedMs: number,
): PlannedObservation {
  const coding = CODES[spec.observation];
  const unitCode = coding.unitCode ?? (spec.metric !== undefined ? origin.profile.metrics[spec.metric]?.unit : undefined) ?? '1';
  const primary: Statistic = spec.summary.statistics.includes('mean') ? 'mean' : (spec.summary.statistics[0] as Statistic);
  const loinc = coding.code.coding?.[0];
  const component: ObservationComponent[] = spec.summary.statistics
    .filter((s) => s !== primary)
    .map((s) => ({
      code: { coding: [...(loinc !== undefined ? [loinc] : []), { system: STATISTICS, ...STATISTIC_CODE[s] }], text: `${coding.code.text} ${STATISTIC_CODE[s].display.toLowerCase()}` },
      ...(s === 'count' ? { valueInteger: stats.count } : { valueQuantity: quantity(stats[s], coding.unitDisplay, unitCode) }),
    }));
  const minutes = Math.round((window.endMs - window.startMs) / 60_000);
  const id = `urn:uuid:${hashUuid(`${deviceIdentity(origin)}|${loinc?.code ?? spec.observation}|summary|${window.startMs}|${spec.summary.windowMinutes}`)}`;
  const observation: Observation = {
    resourceType: 'Observation',
    meta: { ...(coding.profile !== undefined ? { profile: [coding.profile] } : {}), tag: provenanceTags(origin, origin.profile, 'window-summary') },
    identifier: [{ system: VG.observationId, value: id }],
    status,
    category: [categoryConcept(coding.category)],
    code: coding.code,
    effectivePeriod: { start: iso(window.startMs), end: iso(window.endMs) },
    issued: iso(issuedMs),
    valueQuantity: quantity(primary === 'count' ? stats.count : stats[primary], coding.unitDisplay, unitCode),
    method: { text: `${STATISTIC_CODE[primary].display} of ${stats.count} device samples over a ${minutes}-minute window; ${spec.summary.statistics.filter((s) => s !== primary).join(', ') || 'no other statistics'} as components` },
    ...(component.length > 0 ? { component } : {}),
  };
  return { id, nhs: origin.nhs, device: deviceResource(origin), observation };
}

const HBPM_INTERPRETATION = {
  normal: { code: 'N', display: 'Normal', text: 'Below the NICE NG136 stage 1 home average (135/85 mmHg)' },
  'stage-1': { code: 'H', display: 'High', text: 'Stage 1 hypertension: home average ≥135/85 mmHg (NICE NG136)' },
  'stage-2': { code: 'HH', display: 'Critical high', text: 'Stage 2 hypertension: home average ≥150/95 mmHg (NICE NG136)' },
} as const;

/**
 * A home blood pressure average as UK Core AverageBloodPressure [clinical.md; NICE NG136 1.2.6]:
 * SNOMED 723232008 with average systolic and diastolic components over the monitoring run's
 * `effectivePeriod`, its stage as the interpretation, and the protocol as the method. Never LOINC
 * 8478-0 (that is a mean arterial pressure). One per patient and run: the identifier hashes both.
 */
export function averageBpObservation(
  gateway: { gatewayId: string; gatewayVersion: string },
  profile: DeviceProfile,
  nhs: string,
  run: { startMs: number; endMs: number },
  average: Extract<HomeBpAverage, { enough: true }>,
  status: Status,
  issuedMs: number,
): PlannedObservation {
  const id = `urn:uuid:${hashUuid(`patient|${nhs}|723232008|hbpm|${run.startMs}`)}`;
  const stage = HBPM_INTERPRETATION[average.classification];
  const observation: Observation = {
    resourceType: 'Observation',
    meta: { tag: provenanceTags(gateway, profile, 'nice-ng136-average') },
    identifier: [{ system: VG.observationId, value: id }],
    status,
    category: [categoryConcept('vital-signs')],
    code: AVERAGE_BP.code,
    effectivePeriod: { start: iso(run.startMs), end: iso(run.endMs) },
    issued: iso(issuedMs),
    method: { text: `NICE NG136 home blood pressure monitoring: mean of ${average.count} readings over ${average.days - 1} days, the first of ${average.days} days discarded` },
    interpretation: [{ coding: [{ system: INTERPRETATION, code: stage.code, display: stage.display }], text: stage.text }],
    component: [
      { code: AVERAGE_BP.systolic, valueQuantity: quantity(average.systolic, 'mmHg', 'mm[Hg]') },
      { code: AVERAGE_BP.diastolic, valueQuantity: quantity(average.diastolic, 'mmHg', 'mm[Hg]') },
    ],
  };
  return { id, nhs, observation };
}
