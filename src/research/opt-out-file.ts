import { parseNhsNumber, type NhsNumber } from '../domain/index.js';

export interface OptOutFile {
  /** Valid NHS numbers, each once, in file order. */
  readonly numbers: readonly NhsNumber[];
  /** Lines that held something other than a valid NHS number (1-based line numbers; the text masked). */
  readonly invalid: readonly { readonly line: number; readonly reason: string }[];
}

/**
 * Reads a file of NHS numbers as the NHS returns one: one number per line, each optionally followed
 * by a comma (the Check for National Data Opt-outs service's `.dat` files over MESH), or a CSV file
 * with a header row, of which the column whose name mentions "NHS" is read (or else the first).
 * Blank lines are skipped; spaces within a number (`943 476 5919`) are allowed.
 */
export function parseOptOutFile(text: string): OptOutFile {
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '') ?? '';
  const header = /[A-Za-z]/.test(first) ? splitCsv(first) : undefined;
  const column = header === undefined ? 0 : Math.max(0, header.findIndex((h) => /nhs/i.test(h)));
  const seen = new Set<string>();
  const numbers: NhsNumber[] = [];
  const invalid: { line: number; reason: string }[] = [];
  let headerSkipped = header === undefined;
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    if (!headerSkipped) {
      headerSkipped = true;
      return;
    }
    const cell = (splitCsv(raw)[column] ?? '').trim();
    const nhs = parseNhsNumber(cell);
    if (!nhs.ok) invalid.push({ line: i + 1, reason: nhs.error });
    else if (!seen.has(nhs.value)) {
      seen.add(nhs.value);
      numbers.push(nhs.value);
    }
  });
  return { numbers, invalid };
}

/** One CSV line's cells [RFC 4180]: commas separate, double quotes enclose, `""` is a quote. */
export function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}
