import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { averageOverDays, news2 } from '../clinical/index.js';
import { GatewayError } from '../domain/index.js';
import { stdout } from './output.js';

const reading = z.number().finite().nullable().optional();

/** `news2 --json` input: every observation optional (null or absent = not measured). */
const News2InputSchema = z
  .object({
    respiratoryRate: reading,
    spo2: reading,
    spo2Scale: z.union([z.literal(1), z.literal(2)]).nullable().optional(),
    onOxygen: z.boolean().nullable().optional(),
    systolic: reading,
    pulse: reading,
    consciousness: z.enum(['A', 'C', 'V', 'P', 'U']).nullable().optional(),
    temperature: reading,
  })
  .strict();

/** `hbpm --file` input: the readings of one monitoring run by day number. */
const HbpmFileSchema = z.array(
  z
    .object({
      day: z.number().int().min(1),
      time: z.enum(['morning', 'evening']),
      systolic: z.number().finite().positive(),
      diastolic: z.number().finite().positive(),
    })
    .strict(),
);

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GatewayError('GW_INPUT_INVALID', `${what}: not valid JSON (${(cause as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new GatewayError('GW_INPUT_INVALID', `${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** `vitals-gateway news2 --json '<observations>'`: the NEWS2 score, partial when parameters are missing. */
export function news2Command(o: { json: string }): void {
  const score = news2(parse(News2InputSchema, o.json, '--json'));
  stdout.json({ total: score.total, subscores: score.subscores, response: score.response, partial: score.partial, missing: score.missing, spo2Scale: score.spo2Scale });
}

/** `vitals-gateway hbpm --file <readings.json>`: the NICE NG136 home BP average of a monitoring run. */
export function hbpmCommand(o: { file: string }): void {
  let text: string;
  try {
    text = readFileSync(o.file, 'utf8');
  } catch (cause) {
    throw new GatewayError('GW_INPUT_INVALID', `--file: cannot read ${o.file} (${(cause as Error).message})`);
  }
  const average = averageOverDays(parse(HbpmFileSchema, text, o.file));
  if (!average.enough) {
    stdout.json({ averageSystolic: null, averageDiastolic: null, daysUsed: Math.max(0, average.days - 1), classification: 'insufficient', reason: average.reason });
    return;
  }
  const classification = { normal: 'normal', 'stage-1': 'stage1', 'stage-2': 'stage2' }[average.classification];
  stdout.json({ averageSystolic: average.systolic, averageDiastolic: average.diastolic, daysUsed: average.days - 1, readingsUsed: average.count, classification });
}
