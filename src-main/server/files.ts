/**
 * Browser mode's data folder and the paths a browser client may name in it. The folders
 * are the server user's own (0700); a client names only:
 *
 * - for reading (open a corpus or a model): files under `uploads/` (what this page
 *   uploaded), `models/` (models saved here) and `runs/` (checkpoints, crash recovery);
 * - for saving a model: a `.lstm` file directly in `models/`, named as the save-path
 *   route names it;
 * - for an export: a folder directly in `exports/`, named the same way;
 * - for a download: a file under `models/`, `exports/` or `uploads/`.
 *
 * The bundled sample corpus needs no path (`corpus:openSample`). Everything else is refused
 * in one line before the engine sees it, whatever the page sends.
 */
import { chmod, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AccessError } from '../errors';
import {
  filesNamedBy,
  hasModelExtension,
  MODEL_EXTENSION,
  withModelExtension,
} from '../protocol/file-access';
import type { FileUse } from '../protocol/file-access';
import type { CommandName, RequestOf } from '../protocol/messages';

/** Folders (and only folders) the server creates: owner-only. Files get 0600 (see cli.ts's umask). */
export const FOLDER_MODE = 0o700;
export const FILE_MODE = 0o600;

/** The longest file name the server creates. */
const MAX_NAME = 100;

export type DataFolders = { uploads: string; models: string; exports: string; runs: string };

const REFUSALS: Record<FileUse, string> = {
  read: 'browser mode opens only files uploaded from its page, models saved here and run checkpoints',
  'write-model': 'browser mode saves a model only as a .lstm file in its models folder',
  'write-folder': 'browser mode exports only into its exports folder',
};

export class ServerFiles {
  private constructor(
    readonly dataDir: string,
    readonly folders: DataFolders,
    /** The same folders with symlinks resolved (macOS /var → /private/var). */
    private readonly real: DataFolders,
  ) {}

  /** Creates the data folder and its sub-folders as 0700 (tightening existing ones). */
  static async open(dataDir: string): Promise<ServerFiles> {
    const root = path.resolve(dataDir);
    const folders: DataFolders = {
      uploads: path.join(root, 'uploads'),
      models: path.join(root, 'models'),
      exports: path.join(root, 'exports'),
      runs: path.join(root, 'runs'),
    };
    for (const dir of [root, ...Object.values(folders)]) {
      await mkdir(dir, { recursive: true, mode: FOLDER_MODE });
      await chmod(dir, FOLDER_MODE);
    }
    const real = Object.fromEntries(
      await Promise.all(
        Object.entries(folders).map(async ([key, dir]) => [key, await realpath(dir)] as const),
      ),
    ) as DataFolders;
    return new ServerFiles(root, folders, real);
  }

  /** Where `model:save` may write a model named `name`. */
  modelSavePath(name: string): string {
    const stem = sanitiseName(name, 'model')
      .replace(/\.lstm$/i, '')
      .slice(0, MAX_NAME - MODEL_EXTENSION.length)
      .trim();
    return path.join(this.folders.models, withModelExtension(stem || 'model'));
  }

  /** Where `model:export` may write an export named `name`. */
  exportPath(name: string): string {
    return path.join(this.folders.exports, sanitiseName(name, 'model-tfjs'));
  }

  /** Throws a one-line AccessError when the request names a path a browser client may not. */
  async check<C extends CommandName>(channel: C, request: RequestOf<C>): Promise<void> {
    for (const { path: file, use } of filesNamedBy(channel, request)) {
      if (!(await this.allows(file, use)))
        throw new AccessError('access/outside-data', `${REFUSALS[use]}: ${file.slice(0, 300)}`);
    }
  }

  /** The real path of a file a client may download, or null. */
  async downloadable(requested: string): Promise<string | null> {
    const real = await realpath(path.resolve(requested)).catch(() => null);
    if (!real || !within(real, [this.real.models, this.real.exports, this.real.uploads]))
      return null;
    const info = await stat(real).catch(() => null);
    return info?.isFile() ? real : null;
  }

  private async allows(file: string, use: FileUse): Promise<boolean> {
    const resolved = path.resolve(file);
    if (use === 'read') {
      const real = await realpath(resolved).catch(() => null);
      const { uploads, models, runs } = real ? this.real : this.folders;
      return within(real ?? resolved, [uploads, models, runs]);
    }
    const folder = use === 'write-model' ? this.folders.models : this.folders.exports;
    const name = path.basename(resolved);
    return (
      path.dirname(resolved) === folder &&
      name === sanitiseName(name, '') &&
      (use === 'write-folder' || hasModelExtension(name))
    );
  }
}

function within(file: string, folders: string[]): boolean {
  return folders.some((folder) => file.startsWith(folder + path.sep));
}

/**
 * A file name safe to create in a folder we own: letters, digits, `.`, `-`, `_` and
 * spaces only, no leading dot, at most 100 characters.
 */
export function sanitiseName(given: string, fallback: string): string {
  const base = given.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, MAX_NAME)
    .trim();
  return clean.length > 0 ? clean : fallback;
}
