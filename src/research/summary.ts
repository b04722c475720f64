import type { ProfileCatalog } from '../profiles/index.js';
import type { ResearchReads } from './extract.js';
import { isoDay, localDays } from './coarsen.js';
import { disclose } from './disclosure.js';

export const SUMMARY_DIMENSIONS = ['metric', 'day', 'week', 'month', 'device_class'] as const;
export type SummaryDimension = (typeof SUMMARY_DIMENSIONS)[number];

export interface SummaryGroup {
  /** The group's value of each dimension asked for, in the order asked. */
  readonly group: Readonly<Record<string, string>>;
  /** Patients with a value in the group, or null where suppressed. */
  readonly patients: number | null;
  /** Values in the group, or null where suppressed. */
  readonly values: number | null;
}

export interface CohortSummary {
  readonly by: readonly SummaryDimension[];
  readonly groups: readonly SummaryGroup[];
  /** Disclosed like every other count. */
  readonly patients: { readonly included: number | null; readonly excludedByOptOut: number | null };
}

/**
 * Counts of patients and values per group (metric, local day, week, month, device class), for
 * publication: opted-out patients are left out, and every count goes through disclosure control
 * (see `disclose`). Streams one patient at a time.
 */
export async function cohortSummary(
  req: { readonly fromMs: number; readonly toMs: number; readonly by: readonly SummaryDimension[] },
  d: { readonly research: ResearchReads; readonly profiles: ProfileCatalog; readonly timeZone: string },
): Promise<CohortSummary> {
  const day = localDays(d.timeZone);
  const part: Record<SummaryDimension, (metric: string, takenAtMs: number, profileId: string) => string> = {
    metric: (metric) => metric,
    day: (_m, t) => isoDay(day(t)),
    // ISO weeks start on Monday: the week's Monday, as a date.
    week: (_m, t) => {
      const n = day(t);
      return isoDay(n - ((n + 3) % 7));
    },
    month: (_m, t) => isoDay(day(t)).slice(0, 7),
    device_class: (_m, _t, profileId) => d.profiles.get(profileId)?.deviceClass ?? 'unknown',
  };
  const parts = req.by.map((dim) => part[dim]);
  const counts = new Map<string, { patients: number; values: number }>();
  let included = 0;
  let excluded = 0;
  for (const nhs of await d.research.patientsWithReadings(req.fromMs, req.toMs)) {
    if (await d.research.isOptedOut(nhs)) {
      excluded++;
      continue;
    }
    included++;
    const mine = new Set<string>();
    for await (const chunk of d.research.valueChunks(nhs, req.fromMs, req.toMs)) for (const [metric, , , takenAtMs, profileId] of chunk) {
      const key = parts.map((f) => f(metric, takenAtMs, profileId)).join('\u0000');
      const c = counts.get(key) ?? { patients: 0, values: 0 };
      c.values++;
      if (!mine.has(key)) {
        mine.add(key);
        c.patients++;
      }
      counts.set(key, c);
    }
  }
  const groups = [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, c]) => {
      const values = key.split('\u0000');
      return { group: Object.fromEntries(req.by.map((dim, i) => [dim, values[i] ?? ''])), patients: disclose(c.patients), values: disclose(c.values) };
    });
  return { by: req.by, groups, patients: { included: disclose(included), excludedByOptOut: disclose(excluded) } };
}
