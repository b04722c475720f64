import { nhsCheckDigit } from '../../src/domain/index.js';

/** `count` valid NHS numbers, in order from a 9-digit stem (stems with no valid check digit skipped). */
export function nhsNumbers(count: number, fromStem = 400_000_000): string[] {
  const out: string[] = [];
  for (let stem = fromStem; out.length < count; stem++) {
    const check = nhsCheckDigit(String(stem));
    if (check !== undefined) out.push(`${stem}${check}`);
  }
  return out;
}
