/**
 * Browser mode's uploads against the real server: bounded per file, in number and in
 * total; deleted by age and when the server stops; a stalled upload is cut off and leaves
 * nothing, while a slow one that keeps sending finishes. The data folder is the user's
 * alone (0700 folders, 0600 files). A picked folder's files land in one upload folder
 * under their relative paths, and never outside it.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import { startServer, type ServerLimits, type StudioServer } from '../../src-main/server/server';
import { uploadSegments } from '../../src-main/server/uploads';
import { ownPage, raw, signIn, streamed } from './helpers';

const TOKEN = 'd'.repeat(64);

describe('browser-mode uploads', () => {
  let dir: string;
  let renderer: string;
  // Never started: uploads do not reach the engine.
  let engine: EngineHost;
  const open: StudioServer[] = [];
  let count = 0;

  /** A server of its own with these limits, signed in; returns it with its page's headers. */
  async function serve(limits: Partial<ServerLimits>, dataDir?: string) {
    const server = await startServer({
      engine,
      rendererDir: renderer,
      dataDir: dataDir ?? path.join(dir, `data-${count++}`),
      token: TOKEN,
      limits,
      log: () => {},
    });
    open.push(server);
    const own = ownPage(server.port, await signIn(server.port, TOKEN));
    const upload = (name: string, body: string | Buffer) =>
      raw(server.port, 'POST', '/upload', { ...own, 'x-file-name': name }, body);
    return { server, own, upload };
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'studio-uploads-'));
    renderer = path.join(dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
    engine = new EngineHost({ launch: nodeEngineLauncher({ dataDir: path.join(dir, 'engine') }) });
  });

  afterAll(async () => {
    await Promise.all(open.map((server) => server.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('caps one upload, and leaves nothing behind', async () => {
    const { server, upload } = await serve({ maxUploadBytes: 64 * 1024 });
    const res = await upload('big.txt', Buffer.alloc(64 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        code: 'upload/too-large',
        message: 'the file is larger than 64 KiB, the most one upload may be',
      },
    });
    expect(readdirSync(server.folders.uploads)).toEqual([]);
    expect((await upload('fits.txt', Buffer.alloc(64 * 1024))).status).toBe(200);
  });

  it('caps how many uploads are kept and their total size', async () => {
    const many = await serve({ maxUploads: 2 });
    expect((await many.upload('1.txt', 'one')).status).toBe(200);
    expect((await many.upload('2.txt', 'two')).status).toBe(200);
    const third = await many.upload('3.txt', 'three');
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error).toEqual({
      code: 'upload/too-many',
      message:
        '2 uploads are kept already; uploads are deleted 24 h after they arrive and when the server stops',
    });
    expect(readdirSync(many.server.folders.uploads)).toHaveLength(2);

    const total = await serve({ maxUploadTotalBytes: 1000, uploadMaxAgeMs: 90 * 60_000 });
    expect((await total.upload('a.txt', Buffer.alloc(600))).status).toBe(200);
    const over = await total.upload('b.txt', Buffer.alloc(600));
    expect(over.status).toBe(507);
    expect(JSON.parse(over.body).error).toEqual({
      code: 'upload/quota',
      message:
        'the uploads would pass 1000 B in all; uploads are deleted 1.5 h after they arrive and when the server stops',
    });
    expect(total.server.uploads.usage()).toEqual({ count: 1, bytes: 600 });
    expect((await total.upload('c.txt', Buffer.alloc(400))).status).toBe(200);
  });

  it('counts a body without a declared length as it arrives, and stops it at the total', async () => {
    const { server, own } = await serve({ maxUploadTotalBytes: 1000 });
    // No Content-Length: Node sends the body chunked, 300 bytes at a time.
    const res = await streamed(
      server.port,
      'POST',
      '/upload',
      { ...own, 'x-file-name': 'chunked.txt' },
      (req) => {
        for (let i = 0; i < 5; i++) req.write(Buffer.alloc(300, 0x61));
        req.end();
      },
    );
    if (res instanceof Error) throw res;
    expect(res.status).toBe(507);
    expect(res.body).toContain('upload/quota');
    expect(readdirSync(server.folders.uploads)).toEqual([]);
    expect(server.uploads.usage()).toEqual({ count: 0, bytes: 0 });
  });

  it('deletes uploads past the age limit, and all of them when the server stops', async () => {
    const { server, upload } = await serve({ uploadMaxAgeMs: 300 });
    const res = await upload('old.txt', 'soon gone');
    const file = JSON.parse(res.body).path as string;
    expect(existsSync(file)).toBe(true);
    // The sweep runs at most once a second.
    await expect.poll(() => existsSync(file), { timeout: 5000, interval: 100 }).toBe(false);
    expect(server.uploads.usage()).toEqual({ count: 0, bytes: 0 });

    const kept = await serve({});
    const one = JSON.parse((await kept.upload('one.txt', 'x')).body).path as string;
    expect(existsSync(one)).toBe(true);
    await kept.server.close();
    expect(existsSync(one)).toBe(false);
    expect(readdirSync(kept.server.folders.uploads)).toEqual([]);
  });

  it('adopts what a killed server left (for crash recovery) and deletes what has expired', async () => {
    const dataDir = path.join(dir, 'left-behind');
    const fresh = path.join(dataDir, 'uploads', 'fresh');
    const stale = path.join(dataDir, 'uploads', 'stale');
    for (const folder of [fresh, stale]) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'corpus.txt'), 'abc');
    }
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    const { server } = await serve({ uploadMaxAgeMs: 3_600_000, maxUploads: 1 }, dataDir);
    expect(readdirSync(server.folders.uploads)).toEqual(['fresh']);
    expect(server.uploads.usage()).toEqual({ count: 1, bytes: 3 });
  });

  it('cuts off an upload that stalls, keeping nothing, but lets a slow one that keeps sending finish', async () => {
    const { server, own } = await serve({ idleTimeoutMs: 300 });
    const started = Date.now();
    const stalled = await streamed(
      server.port,
      'POST',
      '/upload',
      { ...own, 'x-file-name': 'stalled.txt', 'content-length': '100000' },
      (req) => req.write('only the beginning'),
    );
    expect(stalled).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => readdirSync(server.folders.uploads), { timeout: 2000 }).toEqual([]);

    // Twenty chunks 100 ms apart: 2 s in all, far past the idle limit, never idle that long.
    const slow = await streamed(
      server.port,
      'POST',
      '/upload',
      { ...own, 'x-file-name': 'slow.txt', 'content-length': '2000' },
      (req) => {
        let sent = 0;
        const timer = setInterval(() => {
          req.write(Buffer.alloc(100, 0x62));
          if (++sent < 20) return;
          clearInterval(timer);
          req.end();
        }, 100);
      },
    );
    if (slow instanceof Error) throw slow;
    expect(slow.status).toBe(200);
    const stored = JSON.parse(slow.body).path as string;
    expect(statSync(stored).size).toBe(2000);
  });

  it('keeps the data folder to its user: folders 0700, uploaded files 0600', async () => {
    const dataDir = path.join(dir, 'loose');
    mkdirSync(dataDir, { mode: 0o755 });
    const { server, upload } = await serve({}, dataDir);
    for (const folder of [dataDir, ...Object.values(server.folders)]) {
      expect((statSync(folder).mode & 0o777).toString(8)).toBe('700');
    }
    const file = JSON.parse((await upload('mine.txt', 'private')).body).path as string;
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(path.dirname(file)).mode & 0o777).toString(8)).toBe('700');
  });

  describe('a picked folder', () => {
    /** A server with `limits`: `upload` sends a file, into upload folder `folder` when given. */
    async function folderServe(limits: Partial<ServerLimits> = {}) {
      const { server, own } = await serve(limits);
      const upload = async (name: string, body: string | Buffer, folder?: string) => {
        const route =
          folder === undefined ? '/upload' : `/upload?folder=${encodeURIComponent(folder)}`;
        const res = await raw(server.port, 'POST', route, { ...own, 'x-file-name': name }, body);
        return { status: res.status, reply: JSON.parse(res.body) as FolderReply };
      };
      return { server, upload };
    }

    it('lands together under its relative paths, as one upload', async () => {
      const { server, upload } = await folderServe({ maxUploads: 1 });
      const first = await upload('Books/genesis.txt', 'In the beginning');
      expect(first.status).toBe(200);
      const folder = path.join(server.folders.uploads, first.reply.folder);
      expect(first.reply.root).toBe(path.join(folder, 'Books'));
      const second = await upload('Books/part 2/exodus.txt', 'Now these', first.reply.folder);
      expect(second.status).toBe(200);
      expect(second.reply).toEqual({
        path: path.join(folder, 'Books', 'part 2', 'exodus.txt'),
        folder: first.reply.folder,
        root: first.reply.root,
      });
      expect(readdirSync(first.reply.root).sort()).toEqual(['genesis.txt', 'part 2']);
      expect((statSync(path.join(first.reply.root, 'part 2')).mode & 0o777).toString(8)).toBe(
        '700',
      );
      // One upload (the cap is one), of both files' bytes.
      expect(server.uploads.usage()).toEqual({ count: 1, bytes: 25 });
    });

    it('keeps every segment inside the upload folder: dots, separators and roots are names', () => {
      expect(uploadSegments('../../escape.txt')).toEqual(['escape.txt']);
      expect(uploadSegments('/etc/passwd')).toEqual(['etc', 'passwd']);
      expect(uploadSegments('C:\\..\\..\\x.txt')).toEqual(['C_', 'x.txt']);
      expect(uploadSegments('..')).toEqual(['upload']);
      expect(uploadSegments('a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r.txt')).toHaveLength(16);
    });

    it('refuses a folder id the server did not hand out, whatever its shape', async () => {
      const { server, upload } = await folderServe();
      await upload('Corpus/a.txt', 'a');
      const before = readdirSync(server.folders.uploads);
      for (const folder of ['..', '../models', 'f'.repeat(24), 'x', `${'0'.repeat(23)}/`, '']) {
        const { status, reply } = await upload('b.txt', 'x', folder);
        expect(status).toBe(404);
        expect(reply.error?.code).toBe('upload/no-folder');
      }
      expect(readdirSync(server.folders.uploads)).toEqual(before);
      expect(readdirSync(server.folders.models)).toEqual([]);
    });

    it('goes whole when one of its files is refused', async () => {
      const { server, upload } = await folderServe({ maxUploadBytes: 100 });
      const first = await upload('Letters/one.txt', 'short');
      const big = await upload('Letters/big.txt', Buffer.alloc(101), first.reply.folder);
      expect(big.status).toBe(413);
      expect(readdirSync(server.folders.uploads)).toEqual([]);
      expect(server.uploads.usage()).toEqual({ count: 0, bytes: 0 });
    });
  });
});

interface FolderReply {
  path: string;
  folder: string;
  root: string;
  error?: { code: string; message: string };
}
