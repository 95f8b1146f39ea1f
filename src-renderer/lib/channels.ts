/**
 * Every command channel, as a value the browser bridge can iterate to build its client.
 * The protocol's `commandNames` lives beside zod in schema.ts; the renderer keeps its own
 * list so the bundle stays free of the schema library, and `satisfies` makes a channel
 * missing here a compile error.
 */
import type { CommandName } from '../../src-main/protocol/messages';

const CHANNELS = {
  'engine:info': true,
  'corpus:open': true,
  'corpus:openSample': true,
  'presets:list': true,
  'presets:estimate': true,
  'training:start': true,
  'training:pause': true,
  'training:resume': true,
  'training:stop': true,
  'generation:start': true,
  'generation:stop': true,
  'model:save': true,
  'model:open': true,
  'model:inspect': true,
  'model:export': true,
  'model:recent': true,
  'model:recoverable': true,
} satisfies Record<CommandName, true>;

/** All command channels, `domain:verb`. */
export const COMMAND_CHANNELS = Object.keys(CHANNELS) as CommandName[];
