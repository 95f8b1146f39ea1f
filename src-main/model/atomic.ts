/**
 * Atomic file replacement: a kill, a crash or a full disk at any moment leaves either the
 * old file or the new one at `path`, never a mix and never a truncated file.
 *
 * 1. write `<name>.<random>.tmp` in the same folder (rename is only atomic within one
 *    file system, and the same folder is the one place we know is on it);
 * 2. fsync the temp file, so its bytes are on disk before its name can be;
 * 3. rename it over `path` (retried on Windows, where an antivirus or indexer briefly
 *    holding the old file makes rename fail with EPERM/EBUSY/EACCES);
 * 4. fsync the folder, so the rename itself survives a power cut (not supported on
 *    Windows; skipped where it fails).
 * On any error the temp file is removed and the old file is untouched.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ModelFileError } from '../errors';

/** The part of a file handle the writers use. */
export interface WritableFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls an atomic write makes. Production uses node:fs; tests inject
 * failures (a full disk cannot be produced on demand here) through this seam.
 */
export interface AtomicFileSystem {
  /** Creates a new file exclusively (flag `wx`). */
  create(file: string): Promise<WritableFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  /** fsync a folder; may throw where folders cannot be synced. */
  syncFolder(folder: string): Promise<void>;
}

export const nodeFileSystem: AtomicFileSystem = {
  create: (file) => fsp.open(file, 'wx', 0o644),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  async syncFolder(folder) {
    const handle = await fsp.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

export interface AtomicWriteOptions {
  fs?: AtomicFileSystem;
  /** Retry a rename refused with EPERM/EBUSY/EACCES; default: only on Windows. */
  retryRename?: boolean;
}

const RENAME_RETRY_DELAYS_MS = [20, 50, 100, 200, 400, 800];

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The one-line reason a save failed, from a Node error code. */
export function saveErrorMessage(target: string, error: unknown): string {
  const code = errorCode(error);
  const folder = path.dirname(target);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `cannot save ${target}: the disk is full (free some space; the previous file was left as it was)`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `cannot save ${target}: the folder ${folder} is read-only or not writable`;
    case 'ENOENT':
      return `cannot save ${target}: the folder ${folder} does not exist`;
    case 'ENOTDIR':
      return `cannot save ${target}: ${folder} is not a folder`;
    default: {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return `cannot save ${target}: ${reason}`;
    }
  }
}

/** Wraps any save failure in a ModelFileError (keeping ModelFileErrors as they are). */
export function toSaveError(target: string, error: unknown): ModelFileError {
  if (error instanceof ModelFileError) return error;
  const code = errorCode(error);
  const kind =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'disk-full'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'read-only'
        : 'save-failed';
  return new ModelFileError(`model/${kind}`, saveErrorMessage(target, error), { cause: error });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Atomically replaces `target` with what `fill` writes into a fresh file.
 * Throws ModelFileError (disk full, read-only folder, …) with the old file intact.
 */
export async function atomicWrite(
  target: string,
  fill: (file: WritableFile) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeFileSystem;
  const retry = options.retryRename ?? process.platform === 'win32';
  const folder = path.dirname(target);
  const temp = path.join(folder, `${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const file = await fs.create(temp);
    created = true;
    try {
      await fill(file);
      await file.sync();
    } finally {
      await file.close();
    }
    for (let attempt = 0; ; attempt += 1) {
      try {
        await fs.rename(temp, target);
        break;
      } catch (error) {
        const code = errorCode(error);
        const transient = code === 'EPERM' || code === 'EBUSY' || code === 'EACCES';
        if (!retry || !transient || attempt >= RENAME_RETRY_DELAYS_MS.length) throw error;
        await sleep(RENAME_RETRY_DELAYS_MS[attempt]);
      }
    }
    created = false;
  } catch (error) {
    if (created) await fs.unlink(temp).catch(() => undefined);
    throw toSaveError(target, error);
  }
  // The new file is in place; a failed folder sync only weakens durability against a
  // power cut, which is not worth failing a save that did succeed.
  await fs.syncFolder(folder).catch(() => undefined);
}

/**
 * Checks that `target` could be saved: its folder exists and accepts a new file (created
 * and removed at once). Lets a long run fail at its start instead of at its first save.
 * Throws the same ModelFileError a save would.
 */
export async function assertWritableFolder(
  target: string,
  fs: AtomicFileSystem = nodeFileSystem,
): Promise<void> {
  const probe = path.join(
    path.dirname(target),
    `${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const file = await fs.create(probe);
    await file.close();
  } catch (error) {
    throw toSaveError(target, error);
  }
  await fs.unlink(probe).catch(() => undefined);
}
