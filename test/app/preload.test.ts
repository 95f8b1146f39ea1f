import { beforeAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import { ipcRenderer, recorded, resetElectronMock } from '../mocks/electron';
import { EVENT_CHANNEL, MENU_CHANNEL, SHELL_CHANNELS } from '../../src-main/app/channels';
import {
  methodName,
  type EngineEvent,
  type MenuCommand,
  type RendererBridge,
} from '../../src-main/protocol/messages';
import { commandNames } from '../../src-main/protocol/schema';

describe('preload', () => {
  let bridge: RendererBridge;

  beforeAll(async () => {
    resetElectronMock();
    await import('../../src-main/app/preload');
    bridge = recorded.exposed.studio as RendererBridge;
  });

  it('exposes exactly one named method per command plus onEvent, and nothing generic', () => {
    expect(Object.keys(recorded.exposed)).toEqual(['studio']);
    expect(Object.keys(bridge)).toEqual(['api', 'shell']);
    expect(Object.keys(bridge.api).sort()).toEqual(
      [...commandNames.map(methodName), 'onEvent'].sort(),
    );
    expect(Object.keys(bridge.shell).sort()).toEqual(
      [
        'chooseOpenPath',
        'chooseSavePath',
        'downloadUrl',
        'fileRef',
        'folderRef',
        'kind',
        'onMenu',
        'openExternal',
      ].sort(),
    );
    for (const generic of ['send', 'invoke', 'on', 'ipcRenderer', 'require', 'process']) {
      expect(bridge.api).not.toHaveProperty(generic);
      expect(bridge.shell).not.toHaveProperty(generic);
    }
    expect(bridge.shell.kind).toBe('desktop');
  });

  it('binds each method to its own channel and unwraps replies and errors', async () => {
    ipcRenderer.route = async (channel) =>
      channel === 'training:pause'
        ? { ok: false, error: { code: 'training/not-running', message: 'no training is running' } }
        : { ok: true, payload: { channel } };
    for (const channel of commandNames) {
      const method = (
        bridge.api as unknown as Record<string, (request: unknown) => Promise<unknown>>
      )[methodName(channel)];
      if (channel === 'training:pause') {
        await expect(method({ probe: channel })).rejects.toMatchObject({
          message: 'no training is running',
          code: 'training/not-running',
        });
      } else {
        expect(await method({ probe: channel })).toEqual({ channel });
      }
      expect(ipcRenderer.invoked.at(-1)).toEqual({ channel, args: [{ probe: channel }] });
    }
  });

  it('passes events and menu commands as plain values and unsubscribes', () => {
    const events: EngineEvent[] = [];
    const commands: MenuCommand[] = [];
    const offEvents = bridge.api.onEvent((event) => events.push(event));
    const offMenu = bridge.shell.onMenu((command) => commands.push(command));
    const sample: EngineEvent = { type: 'engine:status', status: 'ready' };
    ipcRenderer.emit(EVENT_CHANNEL, { sender: 'ipc-event' }, sample);
    ipcRenderer.emit(MENU_CHANNEL, { sender: 'ipc-event' }, 'training-start');
    offEvents();
    offMenu();
    ipcRenderer.emit(EVENT_CHANNEL, {}, sample);
    ipcRenderer.emit(MENU_CHANNEL, {}, 'training-stop');
    expect(events).toEqual([sample]);
    expect(commands).toEqual(['training-start']);
    expect(ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(0);
  });

  it('hands a dropped file’s path (from webUtils) to main, and sends shell calls on their own channels', async () => {
    ipcRenderer.route = async (channel, ...args) => ({
      ok: true,
      payload: channel === SHELL_CHANNELS.droppedFile ? { path: args[0] } : { path: '/x.lstm' },
    });
    ipcRenderer.invoked.length = 0;
    expect(await bridge.shell.fileRef({ path: '/home/me/text8.zip' } as unknown as File)).toEqual({
      path: '/home/me/text8.zip',
    });
    await expect(bridge.shell.fileRef({} as File)).rejects.toThrow('this file has no path on disk');
    expect(await bridge.shell.chooseSavePath('model', 'my model')).toEqual({ path: '/x.lstm' });
    expect(await bridge.shell.chooseOpenPath('corpus')).toEqual({ path: '/x.lstm' });
    bridge.shell.openExternal('https://example.com/');
    expect(ipcRenderer.invoked).toEqual([
      { channel: SHELL_CHANNELS.droppedFile, args: ['/home/me/text8.zip'] },
      { channel: SHELL_CHANNELS.chooseSavePath, args: ['model', 'my model'] },
      { channel: SHELL_CHANNELS.chooseOpenPath, args: ['corpus'] },
      { channel: SHELL_CHANNELS.openExternal, args: ['https://example.com/'] },
    ]);
    expect(bridge.shell.downloadUrl('/x.lstm')).toBeNull();
  });
});
