// Choosing the store's engine on the headless command line: --database / $HERALD_DATABASE_URL,
// the password as a secret reference (--database-password / $HERALD_DATABASE_PASSWORD), the
// delivery lease for tests; each mistake one line that never shows the password.
import { describe, expect, it } from 'vitest';
import { databaseChoice } from '../../../electron/headless.js';

const secrets = {
  resolve: async (ref: string) => {
    if (ref === 'env:DB_PW') return 's3cret-pw';
    throw new Error(`environment variable ${ref.slice(4)} is not set`);
  },
};
const choose = (flags: { url?: string; password?: string }, env: NodeJS.ProcessEnv = {}, log: string[] = []) =>
  databaseChoice(flags.url, flags.password, secrets, (line) => log.push(line), env);

describe('databaseChoice', () => {
  it('no URL: SQLite in the data dir', async () => {
    expect(await choose({})).toBeUndefined();
  });

  it('the flag wins over the environment; the password comes from its reference', async () => {
    expect(await choose({ url: 'postgres://herald@db:5432/herald', password: 'env:DB_PW' }, { HERALD_DATABASE_URL: 'postgres://other@x/y' })).toEqual({
      url: 'postgres://herald@db:5432/herald',
      password: 's3cret-pw',
    });
    expect(await choose({}, { HERALD_DATABASE_URL: 'postgres://herald@db/herald', HERALD_DATABASE_PASSWORD: 'env:DB_PW', HERALD_DELIVERY_LEASE_MS: '5000' })).toEqual({
      url: 'postgres://herald@db/herald',
      password: 's3cret-pw',
      deliveryLeaseMs: 5000,
    });
  });

  it('a password in the URL works but is warned about, without echoing it', async () => {
    const log: string[] = [];
    expect(await choose({ url: 'postgres://herald:hunter2@db/herald' }, {}, log)).toEqual({ url: 'postgres://herald:hunter2@db/herald' });
    expect(log).toEqual([expect.stringMatching(/the database URL holds a password: give it as a secret reference/)]);
    expect(log.join('\n')).not.toContain('hunter2');
  });

  it('refuses what cannot work, naming the option', async () => {
    await expect(choose({ password: 'env:DB_PW' })).rejects.toThrow('--database-password: given without a database URL');
    await expect(choose({ url: 'postgres://h@db/x', password: 'hunter2' })).rejects.toThrow(/^--database-password: not a secret reference/);
    await expect(choose({ url: 'postgres://h@db/x', password: 'env:MISSING' })).rejects.toThrow('--database-password: environment variable MISSING is not set');
    await expect(choose({}, { HERALD_DATABASE_URL: 'postgres://h@db/x', HERALD_DELIVERY_LEASE_MS: 'soon' })).rejects.toThrow(/HERALD_DELIVERY_LEASE_MS: not a whole number/);
  });

  it('a reference from $HERALD_DATABASE_PASSWORD is named as the variable, not as a flag the user never gave', async () => {
    await expect(choose({}, { HERALD_DATABASE_PASSWORD: 'env:DB_PW' })).rejects.toThrow(/^\$HERALD_DATABASE_PASSWORD: given without a database URL/);
    await expect(choose({}, { HERALD_DATABASE_URL: 'postgres://h@db/x', HERALD_DATABASE_PASSWORD: 'hunter2' })).rejects.toThrow(/^\$HERALD_DATABASE_PASSWORD: not a secret reference/);
    await expect(choose({}, { HERALD_DATABASE_URL: 'postgres://h@db/x', HERALD_DATABASE_PASSWORD: 'env:MISSING' })).rejects.toThrow('$HERALD_DATABASE_PASSWORD: environment variable MISSING is not set');
  });
});
