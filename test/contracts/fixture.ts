/**
 * A port as an adapter may offer it: each method's result as it is (SQLite, in this thread) or as a
 * promise (a server such as PostgreSQL). The contract suites await every call, so one suite runs
 * unchanged against either.
 */
export type Awaitable<P> = {
  [K in keyof P]: P[K] extends (...args: infer A) => infer R ? (...args: A) => R | Promise<R> : P[K];
};

/** An adapter under test, fresh and empty, and how to close it. */
export interface Fixture<T> {
  readonly store: Awaitable<T>;
  close(): void | Promise<void>;
}

/** Makes a fresh adapter (a temp file, a new database on a running server). */
export type FixtureFactory<F> = () => F | Promise<F>;

/** A test body run against a fresh adapter, closed afterwards whatever happens. */
export const withFixture =
  <T>(create: FixtureFactory<Fixture<T>>, fn: (store: Awaitable<T>) => Promise<void>) =>
  async (): Promise<void> => {
    const f = await create();
    try {
      await fn(f.store);
    } finally {
      await f.close();
    }
  };
