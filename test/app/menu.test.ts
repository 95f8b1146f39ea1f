import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import type { MenuItemConstructorOptions } from 'electron';
import { recorded, resetElectronMock } from '../mocks/electron';
import { installMenu, menuTemplate } from '../../src-main/app/menu';
import type { MenuCommand } from '../../src-main/protocol/messages';

function find(items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  for (const item of items) {
    if (item.label === label) return item;
    if (Array.isArray(item.submenu)) {
      try {
        return find(item.submenu, label);
      } catch {
        // keep looking
      }
    }
  }
  throw new Error(`no menu item ${label}`);
}

function click(item: MenuItemConstructorOptions): void {
  (item.click as () => void)();
}

describe('native menu', () => {
  beforeEach(() => resetElectronMock());

  const recent = [
    {
      path: '/models/shakespeare.lstm',
      name: 'shakespeare',
      step: 1200,
      savedAt: '2025-01-01T00:00:00Z',
    },
    { path: '/models/text8.lstm', name: 'text8', step: 7000, savedAt: '2025-01-02T00:00:00Z' },
  ];

  it('dispatches the right command for every item, with its shortcut', () => {
    const dispatched: MenuCommand[] = [];
    const template = menuTemplate({
      dispatch: (c) => dispatched.push(c),
      recent,
      openDocs: () => {},
      showAbout: () => {},
      platform: 'linux',
    });
    const expected: Array<[string, MenuCommand, string | undefined]> = [
      ['Open Corpus…', 'open-corpus', 'CmdOrCtrl+O'],
      ['Open Corpus Folder…', 'open-corpus-folder', undefined],
      ['Open Sample Corpus', 'open-sample-corpus', undefined],
      ['Open Model…', 'open-model', 'CmdOrCtrl+Shift+O'],
      ['Save Model', 'save-model', 'CmdOrCtrl+S'],
      ['Save Model As…', 'save-model-as', 'CmdOrCtrl+Shift+S'],
      ['Export…', 'export-model', 'CmdOrCtrl+E'],
      ['Start', 'training-start', 'CmdOrCtrl+Enter'],
      ['Pause', 'training-pause', 'CmdOrCtrl+P'],
      ['Stop', 'training-stop', 'CmdOrCtrl+.'],
    ];
    for (const [label, , accelerator] of expected) {
      const item = find(template, label);
      expect(item.accelerator).toBe(accelerator);
      click(item);
    }
    expect(dispatched).toEqual(expected.map(([, command]) => command));
  });

  it('lists recent models under Open Recent and opens the chosen one', () => {
    const dispatched: MenuCommand[] = [];
    const template = menuTemplate({
      dispatch: (c) => dispatched.push(c),
      recent,
      openDocs: () => {},
      showAbout: () => {},
      platform: 'linux',
    });
    const submenu = find(template, 'Open Recent').submenu as MenuItemConstructorOptions[];
    expect(submenu.map((item) => item.label)).toEqual([
      'shakespeare — step 1200',
      'text8 — step 7000',
    ]);
    click(submenu[1]);
    expect(dispatched).toEqual([{ openRecent: '/models/text8.lstm' }]);
    const empty = menuTemplate({
      dispatch: () => {},
      recent: [],
      openDocs: () => {},
      showAbout: () => {},
      platform: 'linux',
    });
    expect(find(empty, 'Open Recent').submenu).toEqual([
      { label: 'No Recent Models', enabled: false },
    ]);
  });

  it('has File, Training and Help menus (plus the app menu on macOS), and Help acts in main', () => {
    const calls: string[] = [];
    const options = {
      dispatch: () => {},
      recent,
      openDocs: () => calls.push('docs'),
      showAbout: () => calls.push('about'),
    };
    const linux = menuTemplate({ ...options, platform: 'linux' });
    expect(linux.map((item) => item.label ?? item.role)).toEqual([
      '&File',
      'editMenu',
      '&Training',
      'viewMenu',
      'windowMenu',
      'help',
    ]);
    expect(menuTemplate({ ...options, platform: 'darwin' })[0]).toEqual({ role: 'appMenu' });
    click(find(linux, 'Documentation'));
    click(find(linux, 'About LSTM Studio'));
    expect(calls).toEqual(['docs', 'about']);
    installMenu({ ...options, platform: 'linux' });
    expect(recorded.menus.length).toBe(1);
  });
});
