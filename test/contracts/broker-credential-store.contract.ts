import { describe, expect, it } from 'vitest';
import type { BrokerCredentialStore } from '../../src/store/broker-credential-store.js';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';

export type BrokerCredentialStoreFixture = Fixture<BrokerCredentialStore>;

/** The behaviour every BrokerCredentialStore adapter must have: one hash per username, the latest kept. */
export function describeBrokerCredentialStoreContract(name: string, create: FixtureFactory<BrokerCredentialStoreFixture>): void {
  describe(`BrokerCredentialStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<BrokerCredentialStore>) => Promise<void>) => withFixture(create, fn);

    it('keeps one hash per username, the latest, listed by username', withStore(async (store) => {
      expect(await store.all()).toEqual([]);
      await store.set({ username: 'cuff-2', passwordHash: '$7$1000$a$b', updatedAtMs: 1_000 });
      await store.set({ username: 'cuff-1', passwordHash: '$7$1000$c$d', updatedAtMs: 2_000 });
      await store.set({ username: 'cuff-2', passwordHash: '$7$1000$e$f', updatedAtMs: 3_000 });
      expect(await store.all()).toEqual([
        { username: 'cuff-1', passwordHash: '$7$1000$c$d', updatedAtMs: 2_000 },
        { username: 'cuff-2', passwordHash: '$7$1000$e$f', updatedAtMs: 3_000 },
      ]);
    }));
  });
}
