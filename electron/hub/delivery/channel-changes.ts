// What a channels change means for delivery: deliveries to a removed channel are
// cancelled (they would never go), an edited channel's instance is closed (its pooled
// connections) and what waits for it is tried now — a fixed URL or a replaced token
// should not wait out the backoff or Retry-After (up to 24 h) the old settings earned.
import type { ChannelInstances } from '../channels/instances.js';
import type { LiveConfig } from '../config/live-config.js';
import type { StoreEngine } from '../store/engine.js';
import type { DeliveryWorker } from './worker.js';

export function startChannelChangeHandling(deps: {
  live: LiveConfig;
  store: Pick<StoreEngine, 'outbox'>;
  log?: (line: string) => void;
  worker: Pick<DeliveryWorker, 'channelChanged' | 'wake'>;
  instances: Pick<ChannelInstances, 'close'>;
  now: () => number;
}): Promise<void> {
  const failed = (error: Error) => deps.log?.(`delivery: could not apply a channels change to the outbox: ${error.message}`);
  const cancelOrphans = () => deps.store.outbox.cancelOrphans([...deps.live.channels()].map((c) => c.id), deps.now());
  // Channels removed while the hub was not running: before the worker's first claim.
  const ready = cancelOrphans().then(() => undefined, failed);
  deps.live.onChange(({ section, editedChannels, removedChannels }) => {
    if (section !== 'channels') return;
    for (const id of [...editedChannels, ...removedChannels]) void deps.instances.close(id);
    const moved = Promise.all([cancelOrphans(), ...editedChannels.map((id) => deps.store.outbox.dueNow(id, deps.now()))]);
    for (const id of editedChannels) deps.worker.channelChanged(id);
    void moved.then(() => deps.worker.wake(), failed);
  });
  return ready;
}
