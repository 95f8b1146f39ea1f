/**
 * The native menu. Its items do not act themselves: each one dispatches a MenuCommand to
 * the renderer, which runs the same code as its own buttons (so the menu, the shortcuts
 * and the UI cannot drift apart). Help items are the exception; they belong to main.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import path from 'node:path';
import type { MenuCommand } from '../protocol/messages';
import type { RecentModel } from '../protocol/types';

export interface MenuOptions {
  dispatch: (command: MenuCommand) => void;
  recent: RecentModel[];
  openDocs: () => void;
  showAbout: () => void;
  platform?: NodeJS.Platform;
}

/** The menu as data (what tests inspect); installMenu builds it. */
export function menuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const { dispatch } = options;
  const mac = (options.platform ?? process.platform) === 'darwin';
  const item = (
    label: string,
    command: MenuCommand,
    accelerator?: string,
  ): MenuItemConstructorOptions => ({
    label,
    accelerator,
    click: () => dispatch(command),
  });
  const recent: MenuItemConstructorOptions[] =
    options.recent.length > 0
      ? options.recent.slice(0, 10).map((model) => ({
          label: `${model.name} — step ${model.step}`,
          toolTip: model.path,
          sublabel: path.dirname(model.path),
          click: () => dispatch({ openRecent: model.path }),
        }))
      : [{ label: 'No Recent Models', enabled: false }];

  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push(
    {
      label: '&File',
      submenu: [
        item('Open Corpus…', 'open-corpus', 'CmdOrCtrl+O'),
        item('Open Corpus Folder…', 'open-corpus-folder'),
        item('Open Sample Corpus', 'open-sample-corpus'),
        { type: 'separator' },
        item('Open Model…', 'open-model', 'CmdOrCtrl+Shift+O'),
        { label: 'Open Recent', submenu: recent },
        { type: 'separator' },
        item('Save Model', 'save-model', 'CmdOrCtrl+S'),
        item('Save Model As…', 'save-model-as', 'CmdOrCtrl+Shift+S'),
        item('Export…', 'export-model', 'CmdOrCtrl+E'),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&Training',
      submenu: [
        item('Start', 'training-start', 'CmdOrCtrl+Enter'),
        item('Pause', 'training-pause', 'CmdOrCtrl+P'),
        item('Stop', 'training-stop', 'CmdOrCtrl+.'),
      ],
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Documentation', click: () => options.openDocs() },
        { type: 'separator' },
        { label: 'About LSTM Studio', click: () => options.showAbout() },
      ],
    },
  );
  return template;
}

/** Builds and installs the application menu (again whenever the recent list changes). */
export function installMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(options)));
}
