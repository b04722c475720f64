import { RetryClass } from '../../domain/index.js';

/**
 * What an HTTP answer says about retrying, as mature clients classify it: 408, 429 and 5xx are
 * passing (retry with back-off); 401, 403 and 404 on the endpoint itself mean the output is
 * misconfigured or not authorised, which no retry of this entry fixes but a fix of the
 * configuration does (pause the output, keep every entry); any other 4xx refuses the entry itself.
 */
export function retryClassOfStatus(status: number): RetryClass {
  if (status === 408 || status === 429 || status >= 500) return RetryClass.Transient;
  if (status === 401 || status === 403 || status === 404) return RetryClass.Configuration;
  return RetryClass.Permanent;
}

/** Network error codes of a TLS failure (a certificate the gateway does not trust, or an expired one): configuration, not an outage. */
const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/** The retry class of a request that got no answer: a TLS failure is configuration; anything else passing (or ambiguous). */
export function retryClassOfNetworkError(code: string | undefined, otherwise: RetryClass): RetryClass {
  return code !== undefined && TLS_CODES.test(code) ? RetryClass.Configuration : otherwise;
}
