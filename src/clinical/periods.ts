import { zonedParts, zonedToUtc } from '../domain/index.js';

const DAY_MS = 86_400_000;

/** Start (UTC ms) of the local calendar day holding `atMs` in `zone`. */
export function localDayStart(atMs: number, zone: string): number {
  const p = zonedParts(atMs, zone);
  return zonedToUtc(Date.UTC(p.year, p.month - 1, p.day), zone);
}

/** Start of the local day `days` after the one starting at `dayStartMs` (23 or 25 hours across a DST change). */
export function addLocalDays(dayStartMs: number, days: number, zone: string): number {
  // Noon of the day is clear of DST changes: step whole days from there, then back to midnight.
  return localDayStart(dayStartMs + 12 * 3_600_000 + days * DAY_MS, zone);
}

/**
 * The window of `windowMinutes` holding `atMs`: windows start at local midnight and tile the day,
 * the last one of a day cut short at the next midnight (so a daily window is the local day).
 */
export function windowOf(atMs: number, windowMinutes: number, zone: string): { startMs: number; endMs: number } {
  const day = localDayStart(atMs, zone);
  const next = addLocalDays(day, 1, zone);
  const w = windowMinutes * 60_000;
  const startMs = day + Math.floor((atMs - day) / w) * w;
  return { startMs, endMs: Math.min(startMs + w, next) };
}
