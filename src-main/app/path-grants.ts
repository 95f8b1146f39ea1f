/**
 * The paths the desktop renderer may name: main remembers every path the user chose —
 * in its open, save and export dialogs, by dropping a file on the window (the preload
 * hands main the dropped file's path), or from the recent-models list and crash recovery
 * (both come from the engine) — and refuses any other path before a request reaches the
 * engine. So a compromised renderer cannot read or overwrite a file the user never picked.
 */
import path from 'node:path';
import { AccessError } from '../errors';
import type { CommandName, ReplyOf, RequestOf } from '../protocol/messages';
import {
  filesGivenBy,
  filesNamedBy,
  hasModelExtension,
  type FileUse,
} from '../protocol/file-access';

/** More than a session of choices; the oldest are forgotten first. */
const MAX_GRANTS = 10_000;

const REFUSALS: Record<FileUse, string> = {
  read: 'LSTM Studio opens only files you chose in a dialog, dropped on the window or picked from Open Recent',
  'write-model': 'LSTM Studio saves a model only to a .lstm file you chose in the Save dialog',
  'write-folder': 'LSTM Studio exports only into a folder you picked',
};

export class PathGrants {
  /** Resolved path → what the user allowed there; a Map keeps the order of granting. */
  private readonly granted = new Map<string, Set<FileUse>>();

  /** Remembers that the user chose `file` for `use`; returns it unchanged. */
  grant(file: string, use: FileUse): string {
    const key = path.resolve(file);
    const uses = this.granted.get(key) ?? new Set<FileUse>();
    uses.add(use);
    this.granted.delete(key);
    this.granted.set(key, uses);
    while (this.granted.size > MAX_GRANTS) {
      const oldest = this.granted.keys().next().value as string;
      this.granted.delete(oldest);
    }
    return file;
  }

  allows(file: string, use: FileUse): boolean {
    if (use === 'write-model' && !hasModelExtension(file)) return false;
    return this.granted.get(path.resolve(file))?.has(use) ?? false;
  }

  /** Throws a one-line AccessError when the request names a path the user did not choose for that use. */
  check<C extends CommandName>(channel: C, request: RequestOf<C>): void {
    for (const { path: file, use } of filesNamedBy(channel, request)) {
      if (!this.allows(file, use))
        throw new AccessError('access/not-chosen', `${REFUSALS[use]}: ${file.slice(0, 300)}`);
    }
  }

  /** Remembers the paths a reply offers the user (recent models, the recoverable checkpoint, a saved model). */
  learn<C extends CommandName>(channel: C, reply: ReplyOf<C>): void {
    for (const file of filesGivenBy(channel, reply)) this.grant(file, 'read');
  }
}
