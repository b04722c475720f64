/**
 * The triage list's order [remote-monitoring practice: the list a virtual ward works from]: open
 * critical alerts first, then warnings, then a NEWS2 that calls for a response, then stale data,
 * then everyone else. Within a tier, the longest-waiting first (the oldest open alert, the
 * longest silence), then the NHS number so the order is stable.
 */
export interface TriageFacts {
  readonly patientNhs: string;
  readonly criticalAlerts: number;
  readonly warningAlerts: number;
  /** The oldest open alert's opening time. */
  readonly oldestOpenAlertAtMs: number | undefined;
  /** NEWS2 calls for more than routine monitoring (a total of 1 or more, or a single 3). */
  readonly news2Response: boolean;
  /** How long a device has been silent past its profile's limit (undefined: none is). */
  readonly staleForMs: number | undefined;
}

export const TriageTier = {
  Critical: 0,
  Warning: 1,
  News2: 2,
  Stale: 3,
  Rest: 4,
} as const;
export type TriageTier = (typeof TriageTier)[keyof typeof TriageTier];

export function tierOf(f: TriageFacts): TriageTier {
  if (f.criticalAlerts > 0) return TriageTier.Critical;
  if (f.warningAlerts > 0) return TriageTier.Warning;
  if (f.news2Response) return TriageTier.News2;
  if (f.staleForMs !== undefined) return TriageTier.Stale;
  return TriageTier.Rest;
}

/** Most urgent first. */
export function byUrgency(a: TriageFacts, b: TriageFacts): number {
  const tier = tierOf(a) - tierOf(b);
  if (tier !== 0) return tier;
  const waited = (a.oldestOpenAlertAtMs ?? Infinity) - (b.oldestOpenAlertAtMs ?? Infinity);
  if (Number.isFinite(waited) && waited !== 0) return waited;
  const silent = (b.staleForMs ?? 0) - (a.staleForMs ?? 0);
  if (silent !== 0) return silent;
  return a.patientNhs < b.patientNhs ? -1 : a.patientNhs > b.patientNhs ? 1 : 0;
}

/** The triage list's filters. */
export const TRIAGE_FILTERS = ['all', 'alerts', 'news2', 'stale'] as const;
export type TriageFilter = (typeof TRIAGE_FILTERS)[number];

export function inFilter(filter: TriageFilter, f: TriageFacts): boolean {
  if (filter === 'alerts') return f.criticalAlerts + f.warningAlerts > 0;
  if (filter === 'news2') return f.news2Response;
  if (filter === 'stale') return f.staleForMs !== undefined;
  return true;
}

/** How many patients each filter would show. */
export function triageCounts(facts: readonly TriageFacts[]): Record<TriageFilter, number> {
  const counts = { all: 0, alerts: 0, news2: 0, stale: 0 };
  for (const f of facts) for (const filter of TRIAGE_FILTERS) if (inFilter(filter, f)) counts[filter]++;
  return counts;
}
