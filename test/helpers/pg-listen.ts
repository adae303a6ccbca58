// LISTEN for tests that drive a PostgreSQL module directly (without the engine): one
// dedicated client per subscription, its onListening called once LISTEN is in place.
import pg from 'pg';
import type { Subscribe } from '../../electron/hub/config/postgres-config-store.js';

export function listenerOn(url: string): Subscribe {
  return async (channel, onPayload, onListening) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => {});
    client.on('notification', (message) => {
      if (message.channel === channel) onPayload(message.payload ?? '');
    });
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    onListening?.();
    return () => client.end().catch(() => {});
  };
}
