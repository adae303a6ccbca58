// Failing commits on a real SQLite store, for tests of what a failed commit leaves behind.
import type { Store } from '../../electron/hub/store/store.js';

/**
 * Makes every COMMIT that updated a delivery fail while `on` (as a full disk fails the WAL
 * write at commit): the update writes a row breaking a deferred foreign key, checked at COMMIT.
 */
export function commitGate(db: Store['db']) {
  db.exec(`CREATE TABLE IF NOT EXISTS commit_gate (seq INTEGER REFERENCES events(seq) DEFERRABLE INITIALLY DEFERRED);
    CREATE TEMP TABLE IF NOT EXISTS gate_on (on_ INTEGER);
    CREATE TEMP TRIGGER IF NOT EXISTS gate AFTER UPDATE ON main.deliveries WHEN EXISTS (SELECT 1 FROM gate_on) BEGIN INSERT INTO commit_gate VALUES (-1); END;`);
  return (on: boolean) => db.exec(on ? 'INSERT INTO gate_on VALUES (1)' : 'DELETE FROM gate_on');
}
