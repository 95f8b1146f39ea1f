/**
 * Which files a command names, and what the engine does with each: the one table both
 * hosts check before a request reaches the engine (the desktop's main process against the
 * paths the user chose, browser mode against its own data folders). A command added to
 * the contract must say here which files it names; the `satisfies` makes forgetting it a
 * compile error, so no new path slips past either check.
 */
import type { CommandName, ReplyOf, RequestOf } from './messages';

/** What the engine does with a path: read it, write a model file there, or write into that folder. */
export type FileUse = 'read' | 'write-model' | 'write-folder';

export interface NamedFile {
  path: string;
  use: FileUse;
}

/** The model file extension, with its dot. */
export const MODEL_EXTENSION = '.lstm';

/** True when `file` ends in `.lstm` (any case). */
export function hasModelExtension(file: string): boolean {
  return file.toLowerCase().endsWith(MODEL_EXTENSION);
}

/** `name` ending in .lstm (added when missing). */
export function withModelExtension(name: string): string {
  return hasModelExtension(name) ? name : `${name}${MODEL_EXTENSION}`;
}

const none = (): NamedFile[] => [];
const reads = (request: { file: { path: string } }): NamedFile[] => [
  { path: request.file.path, use: 'read' },
];

const NAMED_FILES = {
  'engine:info': none,
  'engine:session': none,
  'corpus:open': reads,
  'corpus:openSample': none,
  // Reads again only the corpus the engine has open (its path was checked when opened).
  'corpus:reread': none,
  'presets:list': none,
  'presets:estimate': none,
  'training:start': none,
  'training:pause': none,
  'training:resume': none,
  'training:stop': none,
  'generation:start': none,
  'generation:stop': none,
  'model:save': (request) => [{ path: request.file.path, use: 'write-model' }],
  'model:open': reads,
  'model:inspect': reads,
  'model:export': (request) => [{ path: request.dir.path, use: 'write-folder' }],
  'model:recent': none,
  'model:recoverable': none,
  'model:resumePlan': none,
  // The run library's commands name runs by id and checkpoints by file name, never by path;
  // only a checkpoint's copy is written where the user chose.
  'runs:list': none,
  'runs:history': none,
  'runs:rename': none,
  'runs:delete': none,
  'runs:openCheckpoint': none,
  'runs:saveCheckpoint': (request) => [{ path: request.target.path, use: 'write-model' }],
  'runs:setRetention': none,
  // Look inside reads a saved model when asked for one instead of the current model.
  'activations:start': (request) =>
    request.model.kind === 'file' ? [{ path: request.model.file.path, use: 'read' }] : [],
  'activations:next': none,
  'activations:cancel': none,
} satisfies { [C in CommandName]: (request: RequestOf<C>) => NamedFile[] };

/** The files a (validated) request names. */
export function filesNamedBy<C extends CommandName>(
  channel: C,
  request: RequestOf<C>,
): NamedFile[] {
  const named = NAMED_FILES[channel] as (request: RequestOf<C>) => NamedFile[];
  return named(request);
}

/**
 * Paths a reply hands to the page that it may name again for reading: the recent models,
 * the checkpoint crash recovery offers, a model just saved or opened, a checkpoint's copy.
 */
export function filesGivenBy<C extends CommandName>(channel: C, reply: ReplyOf<C>): string[] {
  switch (channel) {
    case 'model:recent':
      return (reply as ReplyOf<'model:recent'>).models.map((model) => model.path);
    case 'model:recoverable': {
      const checkpoint = (reply as ReplyOf<'model:recoverable'>).checkpoint;
      return checkpoint ? [checkpoint.path] : [];
    }
    case 'model:save':
      return [(reply as ReplyOf<'model:save'>).path];
    case 'runs:saveCheckpoint':
      return [(reply as ReplyOf<'runs:saveCheckpoint'>).path];
    default:
      return [];
  }
}
