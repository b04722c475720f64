import { closeSync, openSync, writeSync } from 'node:fs';

/** A column of an extract's table. Times are ms since the epoch; dates are days since 1970-01-01. */
export interface Column {
  readonly name: string;
  readonly type: 'string' | 'double' | 'int' | 'timestamp' | 'date' | 'boolean';
  /** May be empty (null); otherwise every row has a value. */
  readonly nullable?: boolean;
  readonly description: string;
}

export type Cell = string | number | boolean | null;

/** Where an extract's rows go, one table per file (the port; CSV here, Parquet in `parquet.ts`). */
export interface TableSink {
  /** One row, its cells in column order. Buffers a bounded amount, then writes. */
  append(row: readonly Cell[]): void;
  /** Writes what is buffered and closes the file; returns how many rows it holds. */
  close(): number;
}

export type TableFormat = 'parquet' | 'csv';

const FLUSH_BYTES = 1 << 20;

/** CSV [RFC 4180] with a header row; timestamps as ISO 8601 UTC, dates as `YYYY-MM-DD`. */
export function csvSink(file: string, columns: readonly Column[]): TableSink {
  const fd = openSync(file, 'wx', 0o600);
  let buffer = `${columns.map((c) => quote(c.name)).join(',')}\r\n`;
  let rows = 0;
  const flush = () => {
    writeSync(fd, buffer);
    buffer = '';
  };
  return {
    append(row) {
      buffer += `${row.map((cell, i) => text(cell, (columns[i] as Column).type)).join(',')}\r\n`;
      rows++;
      if (buffer.length >= FLUSH_BYTES) flush();
    },
    close() {
      flush();
      closeSync(fd);
      return rows;
    },
  };
}

function text(cell: Cell, type: Column['type']): string {
  if (cell === null) return '';
  if (type === 'timestamp') return new Date(cell as number).toISOString();
  if (type === 'date') return new Date((cell as number) * 86_400_000).toISOString().slice(0, 10);
  return typeof cell === 'string' ? quote(cell) : String(cell);
}

const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
