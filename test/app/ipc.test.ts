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
import { desktopShell } from '../../src-main/app/dialogs';
import { registerIpc } from '../../src-main/app/ipc';
import type { RendererLocation } from '../../src-main/app/security';
import { commandNames } from '../../src-main/protocol/schema';

const INDEX = '/opt/lstm-studio/resources/app.asar/out/renderer/index.html';
const OURS = `file://${INDEX}`;
const location: RendererLocation = { kind: 'file', path: INDEX };

function setup() {
  const requests: Array<{ channel: string; payload: unknown }> = [];
  const host = {
    request: async (channel: string, payload: unknown) => {
      requests.push({ channel, payload });
      return { echoed: channel };
    },
  };
  registerIpc({ host: host as never, location, shell: desktopShell });
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
      shell: desktopShell,
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
      [SHELL_CHANNELS.setProgress, [2], 'invalid shell:setProgress: 0: '],
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

  it('sets taskbar progress on the sending window', async () => {
    setup();
    await ipcMain.invoke(SHELL_CHANNELS.setProgress, invokeEvent(OURS), 0.25);
    await ipcMain.invoke(SHELL_CHANNELS.setProgress, invokeEvent(OURS), -1);
    expect(recorded.progress).toEqual([{ value: 0.25 }, { value: -1 }]);
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
      shell: desktopShell,
    });
    new BrowserWindow();
    expect(await ipcMain.invoke('training:pause', invokeEvent(OURS), {})).toEqual({
      ok: false,
      error: { code: 'training/not-running', message: 'no training is running' },
    });
  });
});
