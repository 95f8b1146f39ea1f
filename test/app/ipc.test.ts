import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import {
  BrowserWindow,
  answers,
  invokeEvent,
  ipcMain,
  recorded,
  resetElectronMock,
} from '../mocks/electron';
import { SHELL_CHANNELS } from '../../src-main/app/channels';
import { nativeDialogs } from '../../src-main/app/dialogs';
import { registerIpc } from '../../src-main/app/ipc';
import { PathGrants } from '../../src-main/app/path-grants';
import type { RendererLocation } from '../../src-main/app/security';
import { commandNames } from '../../src-main/protocol/schema';

const INDEX = '/opt/lstm-studio/resources/app.asar/out/renderer/index.html';
const OURS = `file://${INDEX}`;
const location: RendererLocation = { kind: 'file', path: INDEX };

/** Registers the handlers with an engine that records requests and answers `replies[channel]` (or an echo). */
function setup(replies: Record<string, unknown> = {}) {
  const requests: Array<{ channel: string; payload: unknown }> = [];
  const host = {
    request: async (channel: string, payload: unknown) => {
      requests.push({ channel, payload });
      return replies[channel] ?? { echoed: channel };
    },
  };
  registerIpc({ host: host as never, location, dialogs: nativeDialogs, grants: new PathGrants() });
  new BrowserWindow();
  return requests;
}

describe('IPC handlers', () => {
  beforeEach(() => resetElectronMock());

  it('registers one handler per command and per shell operation, and nothing generic', () => {
    setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      [...commandNames, ...Object.values(SHELL_CHANNELS)].sort(),
    );
  });

  it('routes a valid request from our renderer to the engine', async () => {
    const requests = setup();
    const reply = await ipcMain.invoke('presets:list', invokeEvent(`${OURS}#/train`), {});
    expect(reply).toEqual({ ok: true, payload: { echoed: 'presets:list' } });
    expect(requests).toEqual([{ channel: 'presets:list', payload: {} }]);
  });

  it('rejects foreign senders before anything runs', async () => {
    const requests = setup();
    const foreign = [
      invokeEvent('https://evil.example/index.html'),
      invokeEvent('file:///tmp/other/index.html'),
      invokeEvent(`file://evil.example${INDEX}`),
      invokeEvent('devtools://devtools/bundled/inspector.html'),
      invokeEvent(OURS, { subFrame: true }),
      invokeEvent(null),
    ];
    for (const event of foreign) {
      for (const channel of ['engine:info', SHELL_CHANNELS.openExternal]) {
        const reply = await ipcMain.invoke(
          channel,
          event,
          channel === 'engine:info' ? {} : 'https://example.com/',
        );
        expect(reply).toEqual({
          ok: false,
          error: { code: 'ipc/forbidden', message: 'this page may not use the app' },
        });
      }
    }
    expect(requests).toEqual([]);
    expect(recorded.openedExternal).toEqual([]);
  });

  it('trusts the dev server origin only in dev mode', async () => {
    const requests: unknown[] = [];
    registerIpc({
      host: { request: async (c: string) => (requests.push(c), null) } as never,
      location: { kind: 'dev', url: 'http://localhost:5173/' },
      dialogs: nativeDialogs,
      grants: new PathGrants(),
    });
    new BrowserWindow();
    expect(await ipcMain.invoke('engine:info', invokeEvent('http://localhost:5173/'), {})).toEqual({
      ok: true,
      payload: null,
    });
    expect(
      await ipcMain.invoke('engine:info', invokeEvent('http://localhost:5174/'), {}),
    ).toMatchObject({
      ok: false,
      error: { code: 'ipc/forbidden' },
    });
    expect(await ipcMain.invoke('engine:info', invokeEvent(OURS), {})).toMatchObject({ ok: false });
    expect(requests).toEqual(['engine:info']);
  });

  it('refuses invalid arguments; they never reach the engine', async () => {
    const requests = setup();
    const event = invokeEvent(OURS);
    const cases: Array<[string, unknown[], string]> = [
      ['training:start', [{ config: {}, resume: false }], 'invalid training:start: config.model: '],
      [
        'corpus:open',
        [{ file: { path: '' }, options: { normalisation: 'keep', validation: { chars: 1 } } }],
        'invalid corpus:open: file.path: ',
      ],
      ['generation:stop', [{ generationId: 'g', extra: 1 }], 'invalid generation:stop: '],
      ['engine:info', [], 'invalid engine:info: Too small'],
      ['engine:info', [{}, 'second'], 'invalid engine:info: '],
      [SHELL_CHANNELS.droppedFile, [''], 'invalid shell:droppedFile: 0: '],
      [SHELL_CHANNELS.chooseOpenPath, ['passwords'], 'invalid shell:chooseOpenPath: 0: '],
      [SHELL_CHANNELS.openExternal, [{ url: 'x' }], 'invalid shell:openExternal: 0: '],
    ];
    for (const [channel, args, prefix] of cases) {
      const reply = (await ipcMain.invoke(channel, event, ...args)) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe('protocol/invalid-request');
      expect(reply.error.message.slice(0, prefix.length)).toBe(prefix);
    }
    expect(requests).toEqual([]);
  });

  it('opens a corpus folder through a folder dialog (one dialog cannot pick both off macOS)', async () => {
    setup();
    answers.open = { canceled: false, filePaths: ['/home/me/books'] };
    const reply = await ipcMain.invoke(
      SHELL_CHANNELS.chooseOpenPath,
      invokeEvent(OURS),
      'corpus-folder',
    );
    expect(reply).toEqual({ ok: true, payload: { path: '/home/me/books' } });
    expect(recorded.messageBoxes).toEqual([
      {
        kind: 'open',
        options: {
          title: 'Open Corpus Folder',
          buttonLabel: 'Open Folder',
          properties: ['openDirectory'],
        },
      },
    ]);
  });

  it('opens only http(s) links externally, after parsing them', async () => {
    setup();
    const event = invokeEvent(OURS);
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'smb://host/share',
      'https://user:pw@example.com/',
      'not a url',
    ]) {
      expect(await ipcMain.invoke(SHELL_CHANNELS.openExternal, event, url)).toEqual({
        ok: true,
        payload: null,
      });
    }
    expect(recorded.openedExternal).toEqual([]);
    await ipcMain.invoke(SHELL_CHANNELS.openExternal, event, 'https://www.tensorflow.org/js?x=1#y');
    await ipcMain.invoke(SHELL_CHANNELS.openExternal, event, 'HTTP://Example.COM');
    expect(recorded.openedExternal).toEqual([
      'https://www.tensorflow.org/js?x=1#y',
      'http://example.com/',
    ]);
  });

  it('refuses, in one line, a path the user never chose; the engine never sees it', async () => {
    const requests = setup();
    const event = invokeEvent(OURS);
    const options = { normalisation: 'keep', validation: { chars: 1 } };
    const read =
      'LSTM Studio opens only files you chose in a dialog, dropped on the window or picked from Open Recent';
    const cases: Array<[string, unknown, string]> = [
      [
        'corpus:open',
        { file: { path: '/home/me/.ssh/id_rsa' }, options },
        `${read}: /home/me/.ssh/id_rsa`,
      ],
      ['model:open', { file: { path: '/etc/passwd' } }, `${read}: /etc/passwd`],
      ['model:inspect', { file: { path: '/etc/passwd' } }, `${read}: /etc/passwd`],
      [
        'model:save',
        { file: { path: '/home/me/.bashrc' } },
        'LSTM Studio saves a model only to a .lstm file you chose in the Save dialog: /home/me/.bashrc',
      ],
      [
        'model:export',
        { dir: { path: '/home/me/.config/autostart' }, format: 'tfjs' },
        'LSTM Studio exports only into a folder you picked: /home/me/.config/autostart',
      ],
    ];
    for (const [channel, payload, message] of cases) {
      expect(await ipcMain.invoke(channel, event, payload)).toEqual({
        ok: false,
        error: { code: 'access/not-chosen', message },
      });
    }
    expect(requests).toEqual([]);
  });

  it('accepts the paths the user chose, each only for what it was chosen for', async () => {
    const requests = setup({
      'model:recent': {
        models: [{ path: '/home/me/old.lstm', name: 'old', step: 5, savedAt: 'x' }],
      },
      'model:recoverable': {
        checkpoint: { path: '/data/runs/r1/step-000200.lstm', name: 'r1', step: 200, savedAt: 'x' },
      },
      'model:save': { path: '/home/me/saved.lstm', summary: {} },
    });
    const event = invokeEvent(OURS);
    const options = { normalisation: 'keep', validation: { chars: 1 } };
    const ask = (channel: string, payload: unknown) => ipcMain.invoke(channel, event, payload);

    // An open dialog: reading only.
    answers.open = { canceled: false, filePaths: ['/home/me/books.zip'] };
    await ipcMain.invoke(SHELL_CHANNELS.chooseOpenPath, event, 'corpus');
    expect(
      await ask('corpus:open', { file: { path: '/home/me/books.zip' }, options }),
    ).toMatchObject({ ok: true });
    expect(await ask('model:save', { file: { path: '/home/me/books.zip' } })).toMatchObject({
      ok: false,
      error: { code: 'access/not-chosen' },
    });
    // A file the preload found for a drop: reading only.
    expect(await ipcMain.invoke(SHELL_CHANNELS.droppedFile, event, '/home/me/dropped.txt')).toEqual(
      {
        ok: true,
        payload: { path: '/home/me/dropped.txt' },
      },
    );
    expect(
      await ask('corpus:open', { file: { path: '/home/me/dropped.txt' }, options }),
    ).toMatchObject({ ok: true });
    // The save dialog: a .lstm file to save to (and to open again later).
    answers.save = { canceled: false, filePath: '/home/me/saved' };
    expect(await ipcMain.invoke(SHELL_CHANNELS.chooseSavePath, event, 'model', 'x')).toEqual({
      ok: true,
      payload: { path: '/home/me/saved.lstm' },
    });
    expect(await ask('model:save', { file: { path: '/home/me/saved.lstm' } })).toMatchObject({
      ok: true,
    });
    expect(await ask('model:open', { file: { path: '/home/me/saved.lstm' } })).toMatchObject({
      ok: true,
    });
    // The export dialog: a folder to export into, nothing else.
    answers.open = { canceled: false, filePaths: ['/home/me/web-model'] };
    await ipcMain.invoke(SHELL_CHANNELS.chooseSavePath, event, 'export', 'x');
    expect(
      await ask('model:export', { dir: { path: '/home/me/web-model' }, format: 'tfjs' }),
    ).toMatchObject({ ok: true });
    expect(
      await ask('model:export', { dir: { path: '/home/me/books.zip' }, format: 'tfjs' }),
    ).toMatchObject({ ok: false });
    // What the engine lists: recent models and the checkpoint crash recovery offers.
    expect(await ask('model:open', { file: { path: '/home/me/old.lstm' } })).toMatchObject({
      ok: false,
    });
    await ask('model:recent', {});
    await ask('model:recoverable', {});
    expect(await ask('model:open', { file: { path: '/home/me/old.lstm' } })).toMatchObject({
      ok: true,
    });
    expect(
      await ask('model:open', { file: { path: '/data/runs/r1/step-000200.lstm' } }),
    ).toMatchObject({ ok: true });
    expect(requests.map((request) => request.channel)).toEqual([
      'corpus:open',
      'corpus:open',
      'model:save',
      'model:open',
      'model:export',
      'model:recent',
      'model:recoverable',
      'model:open',
      'model:open',
    ]);
  });

  it('a cancelled dialog grants nothing', async () => {
    const requests = setup();
    const event = invokeEvent(OURS);
    answers.save = { canceled: true, filePath: '/home/me/x.lstm' };
    expect(await ipcMain.invoke(SHELL_CHANNELS.chooseSavePath, event, 'model', 'x')).toEqual({
      ok: true,
      payload: null,
    });
    expect(
      await ipcMain.invoke('model:save', event, { file: { path: '/home/me/x.lstm' } }),
    ).toMatchObject({ ok: false });
    expect(requests).toEqual([]);
  });

  it('passes engine errors back as data, with their code', async () => {
    registerIpc({
      host: {
        request: async () => {
          throw Object.assign(new Error('no training is running'), {
            code: 'training/not-running',
          });
        },
      } as never,
      location,
      dialogs: nativeDialogs,
      grants: new PathGrants(),
    });
    new BrowserWindow();
    expect(await ipcMain.invoke('training:pause', invokeEvent(OURS), {})).toEqual({
      ok: false,
      error: { code: 'training/not-running', message: 'no training is running' },
    });
  });
});
