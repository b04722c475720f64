/**
 * Statistical disclosure control for published counts, as NHS England applies it to its
 * statistics (Hospital Episode Statistics Analysis Guide, "small numbers"; also the suppression
 * rules of its official statistics): a count from 1 to 7 is suppressed, and every other count is
 * rounded to the nearest 5 so a suppressed cell cannot be recovered from totals. Zero is shown.
 *
 * Returns the count to publish, or `null` where it is suppressed.
 */
export function disclose(count: number): number | null {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`a count is a non-negative integer, not ${count}`);
  if (count === 0) return 0;
  if (count <= 7) return null;
  return Math.round(count / 5) * 5;
}
