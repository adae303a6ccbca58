// The pipeline mute policy (shared/mutes.ts) wired to the store: inside the ingest
// transaction a pipeline's success lifts its "until it passes" mute before routing (so that
// success is delivered), and routing asks which mute holds an event. The api's mutes.*
// methods, and one timer that tells the UI when a timed mute ends.
import { ApiError, type ApiHandlers, type ApiUpdate } from '../../../shared/api.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { isPipelinePass, type Mute, PIPELINE_FIELDS, pipelineKey, pipelineOf, type PipelineRef } from '../../../shared/mutes.js';
import type { Lease } from '../leadership/leadership.js';
import type { RoutingLookups, StoreEngine } from '../store/engine.js';

/** setTimeout's limit is ~24.8 days; a later expiry is looked at again after a day. */
const MAX_TIMER_MS = 86_400_000;

export interface MutePolicyDeps {
  store: Pick<StoreEngine, 'mutes' | 'events'>;
  /** The hub's clock (epoch ms). */
  now: () => number;
  /** A source's name, for the Muted list. */
  sourceName: (sourceId: string) => string | undefined;
  emit: (update: ApiUpdate) => void;
  log?: (line: string) => void;
  /** On a team hub one replica removes ended mutes (leadership.ts); every replica still tells its UI. Default: this hub. */
  expiryLease?: Pick<Lease, 'held'>;
}

export interface MutePolicy {
  /** In the ingest transaction, before an event is routed (the engine's lookups of that transaction). */
  beforeRouting(event: HeraldEvent, lookups: Pick<RoutingLookups, 'liftMuteOnPass'>): void;
  /** Routing's question: which mute holds this event now. */
  muteFor(event: Pick<HeraldEvent, 'source' | 'subject' | 'type'>, lookups: Pick<RoutingLookups, 'activeMute'>): Mute | undefined;
  /** After an ingest commit: tell the UI about mutes a success lifted. */
  afterCommit(): void;
  handlers: Pick<ApiHandlers, 'mutes.list' | 'mutes.add' | 'mutes.remove'>;
  stop(): void;
}

export function startMutePolicy(deps: MutePolicyDeps): MutePolicy {
  const { store, now } = deps;
  let liftedSinceCommit = false;
  let timer: NodeJS.Timeout | undefined;

  const changed = () => {
    deps.emit({ type: 'mutes.changed' });
    schedule();
  };
  const failed = (what: string) => (error: Error) => deps.log?.(`mutes: could not ${what}: ${error.message}`);
  // One timer for the next timed mute to end: the UI hears of it then, and the row goes.
  // A later call supersedes an earlier one still reading the store (generation).
  let generation = 0;
  const schedule = () => {
    const mine = ++generation;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const at = now();
    store.mutes.nextExpiry(at).then((next) => {
      if (next === undefined || mine !== generation || stopped) return;
      timer = setTimeout(() => {
        timer = undefined;
        // The list leaves ended mutes out whoever removes their rows, so the UI hears of the end on every replica.
        const ended = removesEnded() ? store.mutes.purgeExpired(now()).then((purged) => purged > 0) : Promise.resolve(true);
        ended
          .then((changed) => {
            if (changed) deps.emit({ type: 'mutes.changed' });
          }, failed('remove ended mutes'))
          .finally(() => {
            if (mine === generation) schedule();
          });
      }, Math.min(Math.max(0, next - at), MAX_TIMER_MS));
      timer.unref();
    }, failed('look up when the next mute ends'));
  };
  let stopped = false;
  const removesEnded = () => deps.expiryLease?.held() ?? true;
  if (removesEnded()) {
    void store.mutes.purgeExpired(now()).then(schedule, (error: Error) => {
      failed('remove ended mutes')(error);
      schedule();
    });
  } else schedule();

  const refFrom = async (input: { eventId?: string | undefined; pipeline?: Partial<PipelineRef> | undefined }): Promise<PipelineRef> => {
    if (input.eventId !== undefined) {
      const found = await store.events.get(input.eventId);
      if (!found) throw new ApiError('not_found', `no event with id "${input.eventId}"`);
      const ref = pipelineOf(found.event);
      if (!ref) {
        throw new ApiError('invalid_input', `eventId: event ${found.event.type} names no pipeline; only pipeline events with a project, pipeline or branch can be muted`);
      }
      return ref;
    }
    const given = input.pipeline!;
    if (!PIPELINE_FIELDS.some((f) => given[f])) throw new ApiError('invalid_input', 'pipeline: name at least one of project, pipeline, branch');
    return given as PipelineRef;
  };

  return {
    beforeRouting(event, lookups) {
      if (!isPipelinePass(event)) return;
      const ref = pipelineOf(event);
      if (ref && lookups.liftMuteOnPass(pipelineKey(ref))) liftedSinceCommit = true;
    },
    muteFor(event, lookups) {
      const ref = pipelineOf(event);
      return ref && lookups.activeMute(pipelineKey(ref), new Date(now()));
    },
    afterCommit() {
      if (!liftedSinceCommit) return;
      liftedSinceCommit = false;
      changed();
    },
    handlers: {
      'mutes.list': async () => ({ items: await store.mutes.list(new Date(now())) }),
      'mutes.add': async (input) => {
        const ref = await refFrom(input);
        const at = now();
        const sourceName = deps.sourceName(ref.sourceId);
        const mute = await store.mutes.add(
          { ...ref, ...(sourceName !== undefined && { sourceName }) },
          input.untilPasses ? { untilPasses: true } : { untilMs: at + input.minutes! * 60_000 },
          at,
        );
        changed();
        return mute;
      },
      'mutes.remove': async ({ key }) => {
        if (!(await store.mutes.remove(key))) throw new ApiError('not_found', 'no such mute: it was lifted or has ended');
        changed();
        return { ok: true as const };
      },
    },
    stop() {
      stopped = true;
      generation++;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
