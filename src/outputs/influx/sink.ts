import { escape, HttpError, InfluxDB, Point, setLogger, type SendOptions, type Transport } from '@influxdata/influxdb-client';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { RetryClass } from '../../domain/index.js';
import { DeliveryError, retryClassOfNetworkError, retryClassOfStatus } from '../outbox/index.js';
import type { PointData } from './point.js';

export interface InfluxOptions {
  readonly url: string;
  readonly token: string | undefined;
  readonly org: string;
  readonly bucket: string;
  readonly timeoutMs: number;
  /** Most points per write() (one HTTP request). */
  readonly batchSize: number;
}

/**
 * Writes points to InfluxDB (v2 write API: millisecond precision, gzip above 1 KB) through the
 * official client's transport, compressing bodies itself (at zlib's fastest level). The outbox
 * already holds line protocol joined by newlines, each send one request body: the client's
 * WriteApi, which buffers line by line (and measures each), and its in-memory retries are not used.
 * Durability and retries belong to the gateway's SQLite outbox, so a failed write is reported,
 * classified, and nothing is held here.
 */
export class InfluxPointSink {
  private readonly transport: Transport;
  private readonly path: string;

  constructor(private readonly options: InfluxOptions) {
    // The client logs failed requests to the console itself; the gateway reports them through its own logs.
    setLogger({ error: () => {}, warn: () => {} });
    this.transport = new InfluxDB({ url: options.url, token: options.token ?? '', timeout: options.timeoutMs }).transport;
    this.path = `/api/v2/write?org=${encodeURIComponent(options.org)}&bucket=${encodeURIComponent(options.bucket)}&precision=ms`;
  }

  /** Writes all points in one request; resolves once the server accepted them. */
  write(points: readonly PointData[]): Promise<void> {
    return this.writeLines(points.map(toLine));
  }

  /**
   * Writes line protocol in one request: `chunks` are lines or newline-joined groups of lines,
   * holding `points` points in all (at most `batchSize`).
   */
  async writeLines(chunks: readonly string[], points = chunks.length): Promise<void> {
    if (points > this.options.batchSize) throw new RangeError(`at most ${this.options.batchSize} points per write`);
    if (chunks.length === 0) return;
    try {
      const body = utf8Body(chunks);
      if (body.length > GZIP_ABOVE_BYTES) await this.post(await gzipAsync(body, { level: GZIP_LEVEL }), GZIPPED);
      else await this.post(body, PLAIN);
    } catch (error) {
      throw classify(error);
    }
  }

  /**
   * One request with a body already encoded. The transport's `request` takes only text (anything
   * else it sends as JSON); its `send`, which the client's WriteApi uses, encodes the body with
   * `Buffer.from(body)`, which takes bytes as they are. Settles as the WriteApi does: any 2xx is
   * done, an error status is the transport's HttpError.
   */
  private post(body: Buffer, options: SendOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      this.transport.send(this.path, body as unknown as string, options, {
        responseStarted: (h, code) => {
          headers = h;
          status = code ?? 0;
        },
        next: () => {},
        error: reject,
        complete: () => (status >= 200 && status < 300 ? resolve() : reject(new HttpError(status, 'unexpected status', undefined, undefined, undefined, undefined, headers))),
      });
    });
  }

  /** Idempotent. */
  async close(): Promise<void> {}
}

/**
 * Lines (or newline-joined groups of lines) joined by newlines, as UTF-8, written straight into one
 * buffer: joining them as a string first, and encoding that, costs several times more (a request
 * holds thousands of lines).
 */
export function utf8Body(chunks: readonly string[]): Buffer {
  let size = chunks.length - 1;
  for (const c of chunks) size += Buffer.byteLength(c);
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0) body[at++] = 0x0a;
    at += body.write(chunks[i] as string, at);
  }
  return body;
}

const gzipAsync = promisify(gzip);

/** Bodies above this are compressed, as the client's WriteApi compresses them (its `gzipThreshold`). */
const GZIP_ABOVE_BYTES = 1_000;

/**
 * zlib's fastest level, where the client uses its default (6): on line protocol it still makes the
 * body 12 times smaller (16 at level 6), for about 60 % of the CPU, and the gateway's cores are the
 * scarcer resource (docs/benchmarks.md, "The InfluxDB output's requests").
 */
const GZIP_LEVEL = 1;

/** As the client's WriteApi sends a batch; the transport compresses nothing itself (no `gzipThreshold`). */
const PLAIN: SendOptions = { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' } };
const GZIPPED: SendOptions = { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' } };

/** `measurement,tag=value,…`: a series key with the client's escaping, tags sorted as `Point` sorts them. */
export function seriesKey(measurement: string, tags: Readonly<Record<string, string>>): string {
  let key = escape.measurement(measurement);
  for (const name of Object.keys(tags).sort()) key += `,${escape.tag(name)}=${escape.tag(tags[name] as string)}`;
  return key;
}

/** Millisecond timestamps, as the write API is told (`precision=ms`). */
const MS_PRECISION = { convertTime: (time: unknown) => String(time) };

/**
 * A point as one line of InfluxDB line protocol (escaping by the official client), with its time
 * in milliseconds: what the outbox keeps, so sending needs no re-encoding.
 */
export function toLine(p: PointData): string {
  const point = new Point(p.measurement).timestamp(p.timeMs);
  for (const [k, v] of Object.entries(p.tags)) point.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) point.floatField(k, v);
  const line = point.toLineProtocol(MS_PRECISION);
  if (line === undefined) throw new Error(`point without fields: ${p.measurement}`);
  return line;
}

/**
 * [HTTP semantics, InfluxDB v2 write API] 4xx other than 408/429 means the request itself is bad:
 * retrying cannot help (permanent). 408, 429, 5xx and network errors are transient; a server's
 * Retry-After is honoured. A write is idempotent (same series and time overwrite), so an
 * ambiguous outcome is retried like a transient one.
 */
export function classify(error: unknown): DeliveryError {
  if (error instanceof HttpError) {
    const retryAfterMs = error.retryAfter() > 0 ? error.retryAfter() * 1000 : undefined;
    return new DeliveryError(`InfluxDB answered ${error.statusCode}: ${error.message}`, retryClassOfStatus(error.statusCode), retryAfterMs);
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return new DeliveryError(`InfluxDB unreachable: ${message}`, retryClassOfNetworkError(code, RetryClass.Transient), undefined);
}
