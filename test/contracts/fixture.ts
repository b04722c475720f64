/** An adapter under test, fresh and empty, and how to close it. */
export interface Fixture<T> {
  readonly store: T;
  close(): void;
}

/** A test body run against a fresh adapter, closed afterwards whatever happens. */
export const withFixture =
  <T>(create: () => Fixture<T>, fn: (store: T) => void) =>
  (): void => {
    const f = create();
    try {
      fn(f.store);
    } finally {
      f.close();
    }
  };
