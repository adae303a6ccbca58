// Rules → Muted: every pipeline muted now, when its mute ends, and a Lift button. Muting
// happens from an event (History, the tray, a popup); lifting here or there.
import { useState } from 'react';
import { describePipeline } from '../../../shared/mutes.js';
import { asError, useApi, useResource } from '../../api/context.js';
import { useToast } from '../../components/Toasts.js';
import { formatDateTime } from '../../lib/time.js';

export function MutedSection() {
  const invoke = useApi();
  const toast = useToast();
  const mutes = useResource('mutes.list', {}, (u) => u.type === 'mutes.changed');
  const [lifting, setLifting] = useState<string>();

  const lift = async (key: string, name: string) => {
    setLifting(key);
    try {
      await invoke('mutes.remove', { key });
      toast(`Mute of ${name} lifted`);
    } catch (e) {
      toast(`Lifting failed: ${asError(e).message}`, 'error');
    } finally {
      setLifting(undefined);
      mutes.reload();
    }
  };

  const items = mutes.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="muted-title" data-testid="muted-section">
      <h2 id="muted-title">Muted</h2>
      <p className="field__hint">A muted pipeline's events are kept in history, but no rule sends them until the mute ends.</p>
      {mutes.error && (
        <p className="error-text" role="alert">
          Could not load mutes: {mutes.error.message}
        </p>
      )}
      {mutes.data && items.length === 0 && <p className="muted">No pipeline is muted. Mute one from an event in History or from the tray.</p>}
      {items.length > 0 && (
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Source</th>
              <th scope="col">Ends</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => {
              const name = describePipeline(m);
              return (
                <tr key={m.key} data-mute-key={m.key}>
                  <td className="mono">{name}</td>
                  <td>{m.sourceName ?? m.sourceId}</td>
                  <td>{m.untilPasses ? 'when it passes' : formatDateTime(m.until)}</td>
                  <td className="actions">
                    <button type="button" className="btn btn--small" aria-label={`Lift mute of ${name}`} disabled={lifting === m.key} onClick={() => void lift(m.key, name)}>
                      Lift
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
