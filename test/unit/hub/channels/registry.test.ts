import { describe, expect, it } from 'vitest';
import { ChannelSchema, SECRET_FIELDS } from '../../../../shared/config.js';
import { channelFor } from '../../../../electron/hub/channels/registry.js';
import { CHANNEL_LIMITS } from '../../../../electron/hub/channels/limits.js';

const kinds = ChannelSchema.options.map((o) => o.shape.kind.value);

describe('channel registry', () => {
  it.each(kinds)('%s has a channel of that kind, limits and secret fields', (kind) => {
    expect(channelFor(kind).kind).toBe(kind);
    expect(CHANNEL_LIMITS[kind]).toBeDefined();
    expect(SECRET_FIELDS[kind]).toBeDefined();
  });
  it('an unknown kind is an error naming it', () => {
    expect(() => channelFor('carrier-pigeon' as never)).toThrow('no channel for kind "carrier-pigeon"');
  });
});
