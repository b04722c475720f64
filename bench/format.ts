/** How the bench's reports write numbers and verdicts. */

/** A whole number with thousands separators: 12,345. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-GB');
/** `digits` decimals, or '–' for a figure that could not be measured. */
export const fixed = (digits: number) => (n: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
/** A share as a percentage with one decimal: 0.801 → 80.1%. */
export const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
/** A target's verdict. */
export const verdict = (met: boolean): string => (met ? 'PASS' : 'BELOW TARGET');
/** A correctness check's verdict. */
export const check = (ok: boolean): string => (ok ? 'OK' : 'MISMATCH');
