import { parseNhsNumber, type NhsNumber } from '../src/domain/index.js';
import type { Random } from './random.js';

/**
 * NHS numbers for simulated patients, all in the 999 range that NHS England reserves for testing
 * and never issues to a person [NHS Digital, "Test data: NHS numbers"]. The same random stream
 * gives the same numbers.
 */
export function testNhsNumbers(count: number, random: Random): NhsNumber[] {
  const numbers: NhsNumber[] = [];
  const seen = new Set<string>();
  while (numbers.length < count) {
    const prefix = `999${String(random.int(0, 999_999)).padStart(6, '0')}`;
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    // The gateway's own modulus 11 check picks the check digit; a prefix whose check digit
    // would be 10 has no valid number and is skipped.
    for (let check = 0; check <= 9; check++) {
      const parsed = parseNhsNumber(`${prefix}${check}`);
      if (parsed.ok) {
        numbers.push(parsed.value);
        break;
      }
    }
  }
  return numbers;
}
