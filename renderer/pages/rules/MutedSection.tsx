// Rules → Muted: every pipeline muted now, when its mute ends, and a Lift button. Muting
// happens from an event (History, the tray, a popup); lifting here or there.
import { useState } from 'react';
import { describePipeline } from '../../../shared/mutes.js';
import { asError, useApi, useResource } from '../../api/context.js';
import { ItemActions, ItemList } from '../../components/ItemList.js';
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

  return (
    <section className="card" aria-labelledby="muted-title" data-testid="muted-section">
      <h2 id="muted-title">Muted</h2>
      <p className="field__hint">A muted pipeline's events are kept in history, but no rule sends them until the mute ends.</p>
      <ItemList
        what="mutes"
        items={mutes.data?.items}
        error={mutes.error}
        empty={<p className="muted">No pipeline is muted. Mute one from an event in History or from the tray.</p>}
        className="table table--compact"
        itemKey={(m) => m.key}
        rowProps={(m) => ({ 'data-mute-key': m.key })}
        columns={[
          { header: 'Pipeline', cellClassName: 'mono', cell: (m) => describePipeline(m) },
          { header: 'Source', cell: (m) => m.sourceName ?? m.sourceId },
          { header: 'Ends', cell: (m) => (m.untilPasses ? 'when it passes' : formatDateTime(m.until)) },
        ]}
        actions={(m) => {
          const name = describePipeline(m);
          return <ItemActions name={name} actions={[{ label: 'Lift', ariaLabel: `Lift mute of ${name}`, busy: lifting === m.key, onClick: () => void lift(m.key, name) }]} />;
        }}
      />
    </section>
  );
}
