import { closeSync, openSync } from 'node:fs';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import type { Cell, Column, TableSink } from './table.js';

/** Rows held before they are written as one row group (a few MB of columns, whatever the extract's size). */
const ROW_GROUP = 65_536;

const ELEMENT = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  double: { type: 'DOUBLE' },
  int: { type: 'INT32' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  date: { type: 'INT32', converted_type: 'DATE' },
  boolean: { type: 'BOOLEAN' },
} as const;

/**
 * Apache Parquet through hyparquet-writer (pure JavaScript, installed from npm alone): row groups
 * of ROW_GROUP rows, Snappy-compressed, with each column's description in the file's key-value
 * metadata. Written as it goes, so memory holds one row group.
 */
export function parquetSink(file: string, columns: readonly Column[], metadata: Readonly<Record<string, string>>): TableSink {
  closeSync(openSync(file, 'wx', 0o600)); // refuse to overwrite, and keep the file private
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map((c) => ({ name: c.name, ...ELEMENT[c.type], repetition_type: c.nullable === true ? ('OPTIONAL' as const) : ('REQUIRED' as const) })),
    ],
    codec: 'SNAPPY',
    kvMetadata: [...Object.entries(metadata).map(([key, value]) => ({ key, value })), ...columns.map((c) => ({ key: `column:${c.name}`, value: c.description }))],
    createdBy: 'vitals-gateway',
  });
  let data: Cell[][] = columns.map(() => []);
  let rows = 0;
  const flush = () => {
    if ((data[0] as Cell[]).length === 0) return;
    void writer.write({ columnData: columns.map((c, i) => ({ name: c.name, data: data[i] as Cell[] })), rowGroupSize: ROW_GROUP });
    data = columns.map(() => []);
  };
  return {
    append(row) {
      for (let i = 0; i < row.length; i++) (data[i] as Cell[]).push(row[i] as Cell);
      rows++;
      if ((data[0] as Cell[]).length >= ROW_GROUP) flush();
    },
    close() {
      flush();
      writer.finish();
      return rows;
    },
  };
}
