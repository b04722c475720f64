import { CareError } from '../care/service.js';

/** The web app's closed set of problems (RFC 9457 problem details: `type` is `urn:vitals-gateway:problem:<code>`). */
export const Problem = {
  NotSignedIn: 'not-signed-in',
  BadCredentials: 'bad-credentials',
  Throttled: 'throttled',
  Csrf: 'csrf',
  Forbidden: 'forbidden',
  NotFound: 'not-found',
  Conflict: 'conflict',
  Invalid: 'invalid-request',
  Internal: 'internal',
} as const;
export type Problem = (typeof Problem)[keyof typeof Problem];

const META: Record<Problem, { status: number; title: string }> = {
  'not-signed-in': { status: 401, title: 'Sign in first' },
  'bad-credentials': { status: 401, title: 'The account ID or password is wrong' },
  throttled: { status: 429, title: 'Too many failed sign-ins: wait a few minutes' },
  csrf: { status: 403, title: 'The form was not sent from this app' },
  forbidden: { status: 403, title: 'You do not have access to this' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'That change no longer applies' },
  'invalid-request': { status: 400, title: 'The request is not valid' },
  internal: { status: 500, title: 'Something went wrong' },
};

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: Problem;
  readonly detail?: string | undefined;
  readonly instance?: string | undefined;
}

export function problem(code: Problem, detail?: string, instance?: string): ProblemDetails {
  const m = META[code];
  return { type: `urn:vitals-gateway:problem:${code}`, title: m.title, status: m.status, code, ...(detail === undefined ? {} : { detail }), ...(instance === undefined ? {} : { instance }) };
}

export function problemOfCare(e: CareError): Problem {
  switch (e) {
    case CareError.Forbidden:
      return Problem.Forbidden;
    case CareError.NotFound:
      return Problem.NotFound;
    case CareError.Conflict:
      return Problem.Conflict;
    case CareError.Invalid:
      return Problem.Invalid;
  }
}
