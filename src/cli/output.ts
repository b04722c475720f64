/** Printing for people (aligned tables) and for programs (`--json`). */
export interface Output {
  json(value: unknown): void;
  table(rows: readonly Record<string, unknown>[], empty: string): void;
  line(text: string): void;
}

export const stdout: Output = {
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  line: (text) => process.stdout.write(`${text}\n`),
  table: (rows, empty) => process.stdout.write(formatTable(rows, empty)),
};

export function formatTable(rows: readonly Record<string, unknown>[], empty: string): string {
  const first = rows[0];
  if (first === undefined) return `${empty}\n`;
  const columns = Object.keys(first);
  const cells = rows.map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const fmt = (row: string[]): string => row.map((v, i) => v.padEnd(widths[i] as number)).join('  ').trimEnd();
  return `${[fmt(columns), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n')}\n`;
}

export const isoTime = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
