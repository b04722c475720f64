/**
 * A store port as an adapter on a database server offers it: the same methods, each answering with
 * a promise (the embedded SQLite adapter answers at once). The contract suites run against both.
 */
export type AsyncPort<P> = {
  [K in keyof P]: P[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : P[K];
};

/** A port from either kind of adapter: its users `await` every answer. */
export type EitherPort<P> = P | AsyncPort<P>;
