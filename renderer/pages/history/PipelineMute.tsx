// The event detail's mute controls: the pipeline an event is about can be muted for an hour
// or until it passes, and a mute that holds it is shown with a Lift button. Mutes are the
// hub's (mutes.*); the list reloads when any client changes one (mutes.changed).
import { useState } from 'react';
import type { HeraldEvent } from '../../../shared/event.js';
import { describePipeline, pipelineKey, pipelineOf } from '../../../shared/mutes.js';
import { asError, useApi, useResource } from '../../api/context.js';
import { useToast } from '../../components/Toasts.js';
import { formatDateTime } from '../../lib/time.js';

export function PipelineMute(props: { event: HeraldEvent }) {
  const invoke = useApi();
  const toast = useToast();
  const mutes = useResource('mutes.list', {}, (u) => u.type === 'mutes.changed');
  const [busy, setBusy] = useState(false);
  const ref = pipelineOf(props.event);
  if (!ref) return null;
  const key = pipelineKey(ref);
  const mute = mutes.data?.items.find((m) => m.key === key);
  const name = describePipeline(ref);

  const act = async (what: string, action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      toast(what);
      mutes.reload();
    } catch (e) {
      toast(`${what} failed: ${asError(e).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="detail-mute" data-testid="pipeline-mute">
      <h3 id="detail-mute">Pipeline</h3>
      {mute ? (
        <p>
          <span className="badge badge--warn">muted</span> <span className="mono">{name}</span> is muted{' '}
          {mute.untilPasses ? 'until it passes' : `until ${formatDateTime(mute.until)}`}: its events are kept here, but no rule sends them.{' '}
          <button type="button" className="btn btn--small" disabled={busy} onClick={() => void act(`Mute of ${name} lifted`, () => invoke('mutes.remove', { key }))}>
            Lift mute
          </button>
        </p>
      ) : (
        <div className="button-row">
          <span className="muted">
            <span className="mono">{name}</span>:
          </span>
          <button type="button" className="btn btn--small" disabled={busy || !mutes.data} onClick={() => void act(`${name} muted for 1 hour`, () => invoke('mutes.add', { eventId: props.event.id, minutes: 60 }))}>
            Mute 1 h
          </button>
          <button
            type="button"
            className="btn btn--small"
            disabled={busy || !mutes.data}
            onClick={() => void act(`${name} muted until it passes`, () => invoke('mutes.add', { eventId: props.event.id, untilPasses: true }))}
          >
            Mute until it passes
          </button>
        </div>
      )}
    </section>
  );
}
