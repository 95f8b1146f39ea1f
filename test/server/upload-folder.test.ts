/**
 * Browser mode's folder uploads against the real server: the files of a folder the user
 * picked land in one upload folder, under their relative paths, counted as one upload;
 * nothing a client sends puts a file outside it, an id the server did not hand out is
 * refused, and a folder that fails part-way leaves nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import { startServer, type ServerLimits, type StudioServer } from '../../src-main/server/server';
import { uploadSegments } from '../../src-main/server/uploads';
import { ownPage, raw, signIn } from './helpers';

const TOKEN = 'e'.repeat(64);

interface Reply {
  path: string;
  folder: string;
  root: string;
  error?: { code: string; message: string };
}

describe('folder uploads', () => {
  let dir: string;
  let renderer: string;
  // Never started: uploads do not reach the engine.
  let engine: EngineHost;
  const open: StudioServer[] = [];
  let count = 0;

  /** A server of its own, signed in; `upload` POSTs a file, into `folder` when given. */
  async function serve(limits: Partial<ServerLimits> = {}) {
    const server = await startServer({
      engine,
      rendererDir: renderer,
      dataDir: path.join(dir, `data-${count++}`),
      token: TOKEN,
      limits,
      log: () => {},
    });
    open.push(server);
    const own = ownPage(server.port, await signIn(server.port, TOKEN));
    const upload = async (name: string, body: string | Buffer, folder?: string) => {
      const route =
        folder === undefined ? '/upload' : `/upload?folder=${encodeURIComponent(folder)}`;
      const res = await raw(
        server.port,
        'POST',
        route,
        { ...own, 'x-file-name': encodeURIComponent(name) },
        body,
      );
      return { status: res.status, reply: JSON.parse(res.body) as Reply };
    };
    return { server, upload };
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'studio-upload-folder-'));
    renderer = path.join(dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
    engine = new EngineHost({ launch: nodeEngineLauncher({ dataDir: path.join(dir, 'engine') }) });
  });

  afterAll(async () => {
    await Promise.all(open.map((server) => server.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a folder’s files together under their relative paths, as one upload', async () => {
    const { server, upload } = await serve({ maxUploads: 1 });
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
    expect(readFileSync(second.reply.path, 'utf8')).toBe('Now these');
    // One upload (the cap is one), of both files' bytes.
    expect(server.uploads.usage()).toEqual({ count: 1, bytes: 25 });
  });

  it('keeps every segment inside the folder: dots, separators and absolute paths are names', () => {
    expect(uploadSegments('../../escape.txt')).toEqual(['escape.txt']);
    expect(uploadSegments('/etc/passwd')).toEqual(['etc', 'passwd']);
    expect(uploadSegments('C:\\..\\..\\x.txt')).toEqual(['C_', 'x.txt']);
    expect(uploadSegments('..')).toEqual(['upload']);
    expect(uploadSegments('a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r.txt')).toHaveLength(16);
  });

  it('refuses a folder id it did not hand out, whatever its shape, and writes nothing', async () => {
    const { server, upload } = await serve();
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

  it('deletes a folder whose upload fails part-way', async () => {
    const { server, upload } = await serve({ maxUploadBytes: 100 });
    const first = await upload('Letters/one.txt', 'short');
    expect((await upload('Letters/big.txt', Buffer.alloc(101), first.reply.folder)).status).toBe(
      413,
    );
    expect(readdirSync(server.folders.uploads)).toEqual([]);
    expect(server.uploads.usage()).toEqual({ count: 0, bytes: 0 });
  });
});
