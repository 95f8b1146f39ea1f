import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { EngineService } from '../../src-main/engine/service';
import type { EngineEvent } from '../../src-main/protocol/messages';

/** The dispatcher in-process: what the engine process answers to each kind of message. */
describe('EngineService.handleMessage', () => {
  let dir: string;
  let service: EngineService;
  const events: EngineEvent[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'engine-service-'));
    service = new EngineService({ dataDir: dir, emit: (event) => events.push(event) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ignores what is not a command, and answers malformed commands that carry an id', async () => {
    expect(await service.handleMessage('hello')).toBeNull();
    expect(
      await service.handleMessage({
        kind: 'event',
        event: { type: 'engine:status', status: 'ready' },
      }),
    ).toBeNull();
    expect(await service.handleMessage({ kind: 'reply', id: 1, ok: true, payload: 1 })).toBeNull();
    expect(
      await service.handleMessage({ kind: 'command', id: 4, channel: 7, payload: {} }),
    ).toEqual({
      kind: 'reply',
      id: 4,
      ok: false,
      error: { code: 'protocol/invalid-message', message: 'invalid message: expected a command' },
    });
  });

  it('refuses unknown commands and invalid requests before running anything', async () => {
    expect(
      await service.handleMessage({ kind: 'command', id: 1, channel: '__proto__', payload: {} }),
    ).toEqual({
      kind: 'reply',
      id: 1,
      ok: false,
      error: { code: 'protocol/unknown-command', message: 'unknown command: __proto__' },
    });
    const config = defaultRunConfig();
    config.training.steps = -1;
    expect(
      await service.handleMessage({
        kind: 'command',
        id: 2,
        channel: 'training:start',
        payload: { config, resume: false },
      }),
    ).toMatchObject({
      id: 2,
      ok: false,
      error: {
        code: 'protocol/invalid-request',
        message: expect.stringMatching(/^invalid training:start: config\.training\.steps: /),
      },
    });
  });

  it('answers commands that need state it does not have with one-line errors', async () => {
    const ask = (channel: string, payload: unknown) =>
      service.handleMessage({ kind: 'command', id: 9, channel, payload });
    expect(await ask('training:pause', {})).toMatchObject({
      ok: false,
      error: { code: 'training/not-running', message: 'no training is running' },
    });
    expect(await ask('model:save', { file: { path: path.join(dir, 'm.lstm') } })).toMatchObject({
      ok: false,
      error: {
        code: 'model/none',
        message: 'there is no model yet: train one or open a model file',
      },
    });
    expect(
      await ask('training:start', { config: defaultRunConfig(), resume: false }),
    ).toMatchObject({
      ok: false,
      error: { code: 'training/no-corpus', message: 'open a corpus before training' },
    });
    expect(await ask('training:start', { config: defaultRunConfig(), resume: true })).toMatchObject(
      {
        ok: false,
        error: { code: 'training/no-model', message: 'open a model or checkpoint to resume it' },
      },
    );
    const missing = await ask('corpus:open', {
      file: { path: path.join(dir, 'nope.zip') },
      options: { normalisation: 'keep', validation: { chars: 10 } },
    });
    expect(missing).toMatchObject({ ok: false });
    expect((missing as { error: { message: string } }).error.message).not.toContain('\n');
    expect(await ask('model:recoverable', {})).toEqual({
      kind: 'reply',
      id: 9,
      ok: true,
      payload: { checkpoint: null },
    });
    expect(await ask('model:recent', {})).toEqual({
      kind: 'reply',
      id: 9,
      ok: true,
      payload: { models: [] },
    });
    expect(await ask('generation:stop', { generationId: 'g-none' })).toEqual({
      kind: 'reply',
      id: 9,
      ok: true,
      payload: { stopped: false },
    });
  });

  it('estimates without a corpus for the text8 alphabet and reports config problems', async () => {
    const reply = await service.handleMessage({
      kind: 'command',
      id: 3,
      channel: 'presets:estimate',
      payload: { config: defaultRunConfig() },
    });
    expect(reply).toMatchObject({ ok: true, payload: { problems: [] } });
    expect((reply as { payload: { parameters: number } }).payload.parameters).toBeGreaterThan(0);
  });
});
