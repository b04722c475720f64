import { err, ok, type Result } from './result.js';

/** A 10-digit NHS number that passed the modulus 11 check. */
export type NhsNumber = string & { readonly __brand: 'NhsNumber' };

/**
 * [NHS Data Dictionary, NHS number] digits 1–9 are weighted 10..2 and summed; the check digit is
 * 11 − (sum mod 11), where 11 means 0 and 10 means the number is invalid.
 * Spaces and dashes (the `943 476 5919` display form) are accepted.
 */
export function parseNhsNumber(input: string): Result<NhsNumber, string> {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits)) return err('an NHS number has exactly 10 digits');
  const check = nhsCheckDigit(digits.slice(0, 9));
  if (check === undefined) return err('not a valid NHS number (check digit would be 10)');
  if (check !== Number(digits[9])) return err('not a valid NHS number (check digit does not match)');
  return ok(digits as NhsNumber);
}

/** The check digit of an NHS number's first 9 digits (see above); undefined where it would be 10 (no valid number). */
export function nhsCheckDigit(first9: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i);
  const check = 11 - (sum % 11);
  return check === 10 ? undefined : check === 11 ? 0 : check;
}

/** Logs and listings show only the last 4 digits. */
export const maskNhsNumber = (nhs: string): string => `******${nhs.slice(-4)}`;
