import type { ReadingTuple } from './reading-encoding.js';

/** One patient's values of one metric in one minute: [patient, metric, minute, min, max, sum, count]. */
export type MinuteRollup = [patient: string, metric: string, minute: number, min: number, max: number, sum: number, count: number];

/** What a commit adds for one patient and metric: its minutes. */
interface MetricRollup {
  readonly minutes: Map<number, MinuteRollup>;
  /** The minute added to last: a device's values come in time order, so usually the next one's too. */
  last: MinuteRollup;
}

/**
 * What one commit's new readings add to the rollups: their values summed per patient, metric and
 * minute (one upsert each). Kept by patient, then metric, then minute: no key string is made per
 * value (this runs for every value stored).
 */
export class CommitRollups {
  private readonly byPatient = new Map<string, Map<string, MetricRollup>>();

  /** Adds every value of a reading stored now. */
  add(reading: ReadingTuple): void {
    const [, , patient, , , takenAt, , , , , , metrics, values] = reading;
    let ofPatient = this.byPatient.get(patient);
    if (ofPatient === undefined) this.byPatient.set(patient, (ofPatient = new Map()));
    const minute = Math.floor(takenAt / 60_000);
    for (let v = 0; v < metrics.length; v++) {
      const metric = metrics[v] as string;
      const value = values[v] as number;
      const r = ofPatient.get(metric);
      if (r === undefined) {
        const last: MinuteRollup = [patient, metric, minute, value, value, value, 1];
        ofPatient.set(metric, { minutes: new Map([[minute, last]]), last });
        continue;
      }
      let m = r.last[2] === minute ? r.last : r.minutes.get(minute);
      if (m === undefined) r.minutes.set(minute, (m = [patient, metric, minute, value, value, value, 1]));
      else {
        m[3] = Math.min(m[3], value);
        m[4] = Math.max(m[4], value);
        m[5] += value;
        m[6] += 1;
      }
      r.last = m;
    }
  }

  /** The minutes' rollups to add. */
  minutes(): MinuteRollup[] {
    const out: MinuteRollup[] = [];
    for (const ofPatient of this.byPatient.values()) for (const r of ofPatient.values()) for (const m of r.minutes.values()) out.push(m);
    return out;
  }
}
