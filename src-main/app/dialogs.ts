/**
 * The native dialogs main shows for the renderer: open a corpus (file or folder) or a
 * model, save a model (always a .lstm file), pick an export folder. What the user picks
 * here becomes a grant (path-grants.ts); taskbar progress lives in training-watch.ts and
 * external links in security.ts.
 */
import { app, dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';
import path from 'node:path';
import { MODEL_EXTENSION, withModelExtension } from '../protocol/file-access';
import type { FileRef } from '../protocol/messages';
import type { DialogHandlers } from './ipc';

const MODEL_FILTERS = [{ name: 'LSTM Studio model', extensions: [MODEL_EXTENSION.slice(1)] }];
const CORPUS_FILTERS = [
  { name: 'Corpus (zip or text)', extensions: ['zip', 'txt'] },
  { name: 'All files', extensions: ['*'] },
];

/** A file name without path separators or characters dialogs dislike. */
function safeName(name: string, fallback: string): string {
  const clean = name.replace(/[\\/:*?"<>|\p{Cc}]/gu, '_').trim();
  return clean.length > 0 ? clean.slice(0, 120) : fallback;
}

async function showOpen(
  window: BrowserWindow | null,
  options: OpenDialogOptions,
): Promise<FileRef | null> {
  const result = window
    ? await dialog.showOpenDialog(window, options)
    : await dialog.showOpenDialog(options);
  const chosen = result.canceled ? undefined : result.filePaths[0];
  return chosen ? { path: chosen } : null;
}

export const nativeDialogs: DialogHandlers = {
  chooseOpenPath(window, purpose) {
    if (purpose === 'model') {
      return showOpen(window, {
        title: 'Open Model',
        filters: MODEL_FILTERS,
        properties: ['openFile'],
      });
    }
    if (purpose === 'corpus-folder') {
      return showOpen(window, {
        title: 'Open Corpus Folder',
        buttonLabel: 'Open Folder',
        properties: ['openDirectory'],
      });
    }
    // A single dialog can pick files and folders only on macOS; elsewhere folders come
    // from File › Open Corpus Folder… or a drop onto the window.
    const properties: OpenDialogOptions['properties'] =
      process.platform === 'darwin' ? ['openFile', 'openDirectory'] : ['openFile'];
    return showOpen(window, { title: 'Open Corpus', filters: CORPUS_FILTERS, properties });
  },

  async chooseSavePath(window, purpose, suggestedName) {
    if (purpose === 'export') {
      return showOpen(window, {
        title: 'Export for TF.js into a folder',
        buttonLabel: 'Export Here',
        properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
      });
    }
    const base = safeName(suggestedName, 'model');
    const options = {
      title: 'Save Model',
      defaultPath: path.join(app.getPath('documents'), withModelExtension(base)),
      filters: MODEL_FILTERS,
    };
    const result = window
      ? await dialog.showSaveDialog(window, options)
      : await dialog.showSaveDialog(options);
    if (result.canceled || !result.filePath) return null;
    return { path: withModelExtension(result.filePath) };
  },
};
