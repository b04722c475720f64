import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { RetryClass } from '../../domain/index.js';
import { HttpPoster, type PostAnswer } from '../http-post.js';
import { DeliveryError, retryClassOfNetworkError, retryClassOfStatus } from '../outbox/index.js';

/** Supplies the `Authorization` header value (or none), and forgets a token the server refused. */
export interface FhirAuth {
  header(): Promise<string | undefined>;
  /** The server answered 401: the next `header()` must fetch a new token. */
  invalidate(): void;
}

export interface FhirClientOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly auth: FhirAuth;
}

/**
 * A FHIR R4 REST client for what the gateway sends: transactions [FHIR R4 http.html#transaction].
 * Failures are classified for the outbox: 408, 429 and 5xx are transient (Retry-After honoured);
 * other 4xx are permanent, carrying the server's OperationOutcome; a network error or timeout is
 * ambiguous — the transaction may have been applied — and is retried, which is safe because
 * every entry is a conditional create or update.
 */
export class FhirClient {
  private readonly poster = new HttpPoster();

  constructor(private readonly options: FhirClientOptions) {}

  /** Ends the connections kept open to the server. */
  close(): void {
    this.poster.close();
  }

  async transaction(bundle: Bundle): Promise<Bundle> {
    const answer = await this.post('', bundle);
    // A 2xx that is not a Bundle (a proxy's page, an empty body) may or may not have been applied.
    if ((answer as Bundle | undefined)?.resourceType !== 'Bundle') {
      throw new DeliveryError('FHIR server answered 2xx without a Bundle (a proxy in the way?)', RetryClass.Ambiguous, undefined);
    }
    return answer as Bundle;
  }

  private async post(path: string, body: unknown, retriedAuth = false): Promise<unknown> {
    const auth = await this.options.auth.header();
    let res: PostAnswer;
    try {
      const headers = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...(auth !== undefined ? { authorization: auth } : {}) };
      res = await this.poster.post(`${this.options.baseUrl.replace(/\/$/, '')}${path}`, headers, JSON.stringify(body), this.options.timeoutMs, { readBody: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      const cause = code ?? (error instanceof Error ? error.name : String(error));
      throw new DeliveryError(`FHIR server unreachable (${cause})`, retryClassOfNetworkError(code, RetryClass.Ambiguous), undefined);
    }
    const text = res.body;
    if (res.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    }
    if (res.status === 401 && !retriedAuth) {
      // An expired or revoked token: fetch a new one and try once more.
      this.options.auth.invalidate();
      return this.post(path, body, true);
    }
    // 401 here is after a token refresh: the credentials themselves are wrong.
    throw new DeliveryError(`FHIR server answered ${res.status}: ${outcomeText(text)}`, retryClassOfStatus(res.status), retryAfterMs(res.headers['retry-after'] ?? null));
  }
}

/** The OperationOutcome as compact JSON when the body is one, else the body's start. */
function outcomeText(text: string): string {
  try {
    const body = JSON.parse(text) as OperationOutcome;
    if (body.resourceType === 'OperationOutcome') return JSON.stringify(body);
  } catch {
    // not JSON
  }
  return text.slice(0, 500);
}

/** [RFC 9110 §10.2.3] Retry-After: delay in seconds, or an HTTP date. */
export function retryAfterMs(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An IMF-fixdate such as `Wed, 21 Oct 2015 07:28:00 GMT`.
  const at = /GMT$/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
