/**
 * Browser mode's uploads: each file a page opens is streamed to `uploads/<random>/<name>`
 * (0700 folder, 0600 file). They are bounded — one file, how many are kept, and their
 * total size — and temporary: deleted when they pass the age the user set
 * (`--upload-max-age`) and when the server stops. Uploads left by a server that was killed
 * are adopted at start (crash recovery may reopen a run's corpus from them) or deleted
 * when too old.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StudioError } from '../errors';
import { formatBytes } from '../protocol/format';
import { FILE_MODE, FOLDER_MODE, sanitiseName } from './files';

export interface UploadLimits {
  /** One file. */
  maxUploadBytes: number;
  /** All uploads kept at once, those still arriving included. */
  maxUploadTotalBytes: number;
  /** How many uploads are kept at once. */
  maxUploads: number;
  /** Uploads older than this are deleted. */
  uploadMaxAgeMs: number;
}

/** An upload refused; `status` is the HTTP answer. */
export class UploadError extends StudioError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
  ) {
    super(code, message);
  }
}

interface Stored {
  bytes: number;
  createdAt: number;
}

/** Where an upload landed: the file, its upload folder's id, and the top of what it named. */
export interface Received {
  path: string;
  /** The upload folder's id: name it as `folder` to put more files of a picked folder there. */
  folder: string;
  /** The first segment of the name given ("Books" for "Books/part 1/a.txt"): what to open. */
  root: string;
}

/** Upload folder ids: 12 random bytes, hex. */
const UPLOAD_ID = /^[0-9a-f]{24}$/;
/** A folder's file keeps at most this many levels of its relative path. */
const MAX_DEPTH = 16;

/**
 * A given name as path segments inside an upload folder: each sanitised on its own, so
 * "..", "." and separators can never leave it; at most MAX_DEPTH deep, never empty.
 */
export function uploadSegments(givenName: string): string[] {
  const names = givenName
    .split(/[\\/]/)
    .map((segment) => sanitiseName(segment, ''))
    .filter((name) => name !== '')
    .slice(-MAX_DEPTH);
  return names.length > 0 ? names : ['upload'];
}

/** How often expired uploads are looked for: a quarter of the age, between 1 s and 10 min. */
function sweepInterval(maxAgeMs: number): number {
  return Math.min(10 * 60_000, Math.max(1000, maxAgeMs / 4));
}

export class UploadStore {
  /** Upload folder → its size and age. */
  private readonly stored = new Map<string, Stored>();
  /** Bytes and count of uploads still arriving. */
  private arrivingBytes = 0;
  private arriving = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  private constructor(
    private readonly folder: string,
    private readonly limits: UploadLimits,
    private readonly log: (line: string) => void,
  ) {
    this.timer = setInterval(() => void this.sweep(), sweepInterval(limits.uploadMaxAgeMs));
    this.timer.unref();
  }

  /** Opens the uploads folder: adopts what a previous server left, deletes what has expired. */
  static async open(
    folder: string,
    limits: UploadLimits,
    log: (line: string) => void,
  ): Promise<UploadStore> {
    const store = new UploadStore(folder, limits, log);
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(folder, entry.name);
      const info = await stat(dir);
      let bytes = 0;
      // Recursive: a picked folder's files keep their subfolders.
      for (const file of await readdir(dir, { withFileTypes: true, recursive: true })) {
        if (file.isFile()) bytes += (await stat(path.join(file.parentPath, file.name))).size;
      }
      store.stored.set(dir, { bytes, createdAt: info.mtimeMs });
    }
    await store.sweep();
    return store;
  }

  /** What is kept now. */
  usage(): { count: number; bytes: number } {
    let bytes = 0;
    for (const upload of this.stored.values()) bytes += upload.bytes;
    return { count: this.stored.size, bytes };
  }

  /**
   * Streams one request body to a new upload and returns where it landed. With `folder`
   * (an id an earlier answer gave), the file joins that upload folder instead: a picked
   * folder's files land together, under their relative paths, as one upload. A refusal is
   * an UploadError; once streaming has begun, the rest of an over-limit body is read and
   * dropped so the client still gets the answer. Nothing is left behind on any failure
   * (a folder that fails part-way is deleted whole).
   */
  async receive(
    req: http.IncomingMessage,
    givenName: string,
    folder: string | null = null,
  ): Promise<Received> {
    const { maxUploadBytes, maxUploadTotalBytes, maxUploads } = this.limits;
    const joining = folder === null ? null : path.join(this.folder, folder);
    if (folder !== null && (!UPLOAD_ID.test(folder) || !this.stored.has(joining!))) {
      throw new UploadError('upload/no-folder', 'that upload folder does not exist', 404);
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    const expected = Number.isFinite(declared) && declared >= 0 ? declared : 0;
    const tooLarge = () =>
      new UploadError(
        'upload/too-large',
        `the file is larger than ${formatBytes(maxUploadBytes)}, the most one upload may be`,
        413,
      );
    const overQuota = () =>
      new UploadError(
        'upload/quota',
        `the uploads would pass ${formatBytes(maxUploadTotalBytes)} in all; ${this.whenFreed()}`,
        507,
      );
    const refuse = async (refusal: UploadError): Promise<never> => {
      // A folder missing one of its files is no use: it goes whole.
      if (joining) await this.remove(joining);
      throw refusal;
    };
    if (expected > maxUploadBytes) await refuse(tooLarge());
    if (!joining && this.stored.size + this.arriving >= maxUploads) {
      throw new UploadError(
        'upload/too-many',
        `${maxUploads} uploads are kept already; ${this.whenFreed()}`,
        429,
      );
    }
    if (this.usage().bytes + this.arrivingBytes + expected > maxUploadTotalBytes)
      await refuse(overQuota());

    this.arriving += 1;
    let reserved = expected;
    this.arrivingBytes += reserved;
    // A generated folder holds the file under a sanitised copy of its name, so the corpus
    // report still shows "text8.zip" while the given name is never a path.
    const id = folder ?? randomBytes(12).toString('hex');
    const dir = joining ?? path.join(this.folder, id);
    const names = uploadSegments(givenName);
    let received = 0;
    let refusal: UploadError | null = null;
    const limiter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        received += chunk.length;
        if (received > reserved) {
          this.arrivingBytes += received - reserved;
          reserved = received;
        }
        if (!refusal && received > maxUploadBytes) refusal = tooLarge();
        if (!refusal && this.usage().bytes + this.arrivingBytes > maxUploadTotalBytes)
          refusal = overQuota();
        callback(null, refusal ? undefined : chunk);
      },
    });
    try {
      if (!joining) await mkdir(dir, { mode: FOLDER_MODE });
      const target = path.join(dir, ...names);
      await mkdir(path.dirname(target), { recursive: true, mode: FOLDER_MODE });
      await pipeline(req, limiter, createWriteStream(target, { flags: 'wx', mode: FILE_MODE }));
      if (refusal) throw refusal;
      const kept = this.stored.get(dir);
      this.stored.set(dir, {
        bytes: (kept?.bytes ?? 0) + received,
        createdAt: kept?.createdAt ?? Date.now(),
      });
      return { path: target, folder: id, root: path.join(dir, names[0]!) };
    } catch (error) {
      await this.remove(dir);
      if (!(error instanceof UploadError))
        this.log(
          `an upload stopped after ${formatBytes(received)} (the connection was lost or idle); nothing was kept`,
        );
      throw error;
    } finally {
      this.arriving -= 1;
      this.arrivingBytes -= reserved;
    }
  }

  /** Forgets and deletes one upload folder. */
  private async remove(dir: string): Promise<void> {
    this.stored.delete(dir);
    await rm(dir, { recursive: true, force: true });
  }

  /** Deletes uploads older than the age limit; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const expired = [...this.stored].filter(
      ([, upload]) => now - upload.createdAt > this.limits.uploadMaxAgeMs,
    );
    for (const [dir] of expired) {
      this.stored.delete(dir);
      await rm(dir, { recursive: true, force: true });
    }
    return expired.length;
  }

  /** Stops the sweeping and deletes every upload (the server is stopping). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const dirs = [...this.stored.keys()];
    this.stored.clear();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  private whenFreed(): string {
    const hours = this.limits.uploadMaxAgeMs / 3_600_000;
    const age = hours >= 1 ? `${Number(hours.toFixed(1))} h` : `${Math.round(hours * 60)} min`;
    return `uploads are deleted ${age} after they arrive and when the server stops`;
  }
}
