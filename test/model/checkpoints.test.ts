import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src-main/errors';
import { CheckpointManager, checkpointFileName, loadModel } from '../../src-main/model';
import { nodeFileSystem, type AtomicFileSystem } from '../../src-main/model/atomic';
import { tinySnapshot } from './fixtures';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-checkpoints-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

async function fresh(name: string): Promise<string> {
  const dir = path.join(root, name);
  await fsp.rm(dir, { recursive: true, force: true });
  return dir;
}

/** Saves checkpoints at the given steps; `best` marks which ones are best so far. */
async function saveSteps(manager: CheckpointManager, steps: number[], best: number[]) {
  const written: string[] = [];
  for (const step of steps) {
    written.push(
      await manager.save(tinySnapshot({ step, seed: step }), { best: best.includes(step) }),
    );
  }
  return written;
}

describe('CheckpointManager', () => {
  it('names files by step, keeps the last K plus best.lstm', async () => {
    const dir = await fresh('keep');
    const manager = new CheckpointManager(dir, { keep: 3 });
    const written = await saveSteps(manager, [10, 20, 30, 40, 50], [10, 20]);
    expect(written.map((file) => path.basename(file))).toEqual([
      'step-000010.lstm',
      'step-000020.lstm',
      'step-000030.lstm',
      'step-000040.lstm',
      'step-000050.lstm',
    ]);
    expect((await fsp.readdir(dir)).sort()).toEqual([
      'best.lstm',
      'step-000030.lstm',
      'step-000040.lstm',
      'step-000050.lstm',
    ]);
    expect((await loadModel(path.join(dir, 'best.lstm'))).step).toBe(20);
    expect(await manager.best()).toBe(path.join(dir, 'best.lstm'));
    expect(await manager.latest()).toBe(path.join(dir, 'step-000050.lstm'));
    expect((await loadModel((await manager.latest())!)).tensors).toEqual(
      tinySnapshot({ step: 50, seed: 50 }).tensors,
    );
  });

  it('pads to six digits and grows beyond', () => {
    expect(checkpointFileName(7)).toBe('step-000007.lstm');
    expect(checkpointFileName(1234567)).toBe('step-1234567.lstm');
  });

  it('finds nothing in a missing or empty folder', async () => {
    const manager = new CheckpointManager(await fresh('missing'));
    expect(await manager.latest()).toBeNull();
    expect(await manager.best()).toBeNull();
  });

  it('after a crash, skips temp leftovers and damaged files to the newest complete checkpoint', async () => {
    const dir = await fresh('crash');
    const manager = new CheckpointManager(dir, { keep: 5 });
    await saveSteps(manager, [10, 20, 30], [10]);
    // A save interrupted before its rename, and a newest file damaged afterwards.
    await fsp.writeFile(path.join(dir, 'step-000040.lstm.3f2a9c.tmp'), 'PK\x03\x04partial');
    const newest = path.join(dir, 'step-000030.lstm');
    const bytes = await fsp.readFile(newest);
    await fsp.writeFile(newest, bytes.subarray(0, bytes.length >> 1));
    expect(await manager.latest()).toBe(path.join(dir, 'step-000020.lstm'));

    // The next save clears the leftover.
    await saveSteps(manager, [40], []);
    expect((await fsp.readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(await manager.latest()).toBe(path.join(dir, 'step-000040.lstm'));
  });

  it('falls back to best.lstm when every step checkpoint is damaged', async () => {
    const dir = await fresh('only-best');
    const manager = new CheckpointManager(dir, { keep: 2 });
    await saveSteps(manager, [10, 20], [20]);
    for (const name of ['step-000010.lstm', 'step-000020.lstm']) {
      await fsp.writeFile(path.join(dir, name), 'not a model');
    }
    expect(await manager.latest()).toBe(path.join(dir, 'best.lstm'));
  });

  it('on a full disk (real ENOSPC from /dev/full via the fs seam) fails clearly and keeps every old checkpoint', async () => {
    const dir = await fresh('full');
    await saveSteps(new CheckpointManager(dir, { keep: 2 }), [10, 20], [20]);
    const before = (await fsp.readdir(dir)).sort();
    const fullDisk: AtomicFileSystem = {
      ...nodeFileSystem,
      create: async (temp) => {
        await (await fsp.open(temp, 'wx')).close();
        return fsp.open('/dev/full', 'w');
      },
    };
    const manager = new CheckpointManager(dir, { keep: 2, fs: fullDisk });
    const error = await manager.save(tinySnapshot({ step: 30 }), { best: true }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error.message).toBe(
      `cannot save ${path.join(dir, 'step-000030.lstm')}: the disk is full (free some space; the previous file was left as it was)`,
    );
    expect((await fsp.readdir(dir)).sort()).toEqual(before);
    expect(await manager.latest()).toBe(path.join(dir, 'step-000020.lstm'));
    expect((await loadModel(path.join(dir, 'best.lstm'))).step).toBe(20);
  });

  it('a folder that cannot be created gives a one-line error naming its parent', async () => {
    const parent = path.join(root, 'plain-file');
    await fsp.writeFile(parent, 'x');
    const manager = new CheckpointManager(path.join(parent, 'checkpoints'));
    await expect(manager.save(tinySnapshot(), { best: false })).rejects.toThrow(
      `cannot save ${path.join(parent, 'checkpoints')}: ${parent} is not a folder`,
    );
    await expect(manager.prepare()).rejects.toThrow(
      `cannot save ${path.join(parent, 'checkpoints')}: ${parent} is not a folder`,
    );
  });

  it('prepare() checks up front that checkpoints can be written', async () => {
    const dir = await fresh('prepared');
    await new CheckpointManager(dir).prepare();
    expect(await fsp.readdir(dir)).toEqual([]);
    // sysfs refuses new entries even to root: a real unwritable folder.
    const error = await new CheckpointManager('/sys/run.lstm.checkpoints')
      .prepare()
      .catch((e) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error.code).toBe('model/read-only');
    expect(error.message).toBe(
      'cannot save /sys/run.lstm.checkpoints: the folder /sys is read-only or not writable',
    );
  });

  it('serialises concurrent saves', async () => {
    const dir = await fresh('concurrent');
    const manager = new CheckpointManager(dir, { keep: 2 });
    await Promise.all(
      [10, 20, 30, 40].map((step) => manager.save(tinySnapshot({ step }), { best: false })),
    );
    expect((await fsp.readdir(dir)).sort()).toEqual(['step-000030.lstm', 'step-000040.lstm']);
  });

  it('a process killed (SIGKILL) while saving leaves only complete checkpoints', async () => {
    const dir = await fresh('killed');
    let next = 1;
    const kills: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join('test', 'model', 'save-loop.ts'), dir, String(next)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let saved = 0;
      // Kill after a varying number of completed saves, mid-way through the next one.
      const killAfter = 2 + round;
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          saved += chunk
            .toString()
            .split('\n')
            .filter((line) => line.startsWith('saved')).length;
          if (saved >= killAfter && child.exitCode === null && !child.killed) {
            setTimeout(() => child.kill('SIGKILL'), round * 3);
          }
        });
        child.on('exit', () => resolve());
      });
      expect(child.signalCode).toBe('SIGKILL');
      kills.push(saved);
      const files = (await fsp.readdir(dir)).filter((name) => name.endsWith('.lstm'));
      for (const name of files) await loadModel(path.join(dir, name));
      const latest = await new CheckpointManager(dir).latest();
      expect(latest).not.toBeNull();
      next = (await loadModel(latest!)).step + 1;
    }
    expect(kills.every((count, round) => count >= 2 + round)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'best.lstm'))).toBe(true);
  }, 120_000);
});
