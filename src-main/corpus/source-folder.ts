/**
 * A corpus source: a folder of text files, walked depth-first in name order (as a file
 * manager shows it), skipping tool folders, links to folders and anything that is not a
 * regular file, each with its reason in the report.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CorpusError } from '../errors';
import type { CorpusBuilder, SkipKind } from './corpus-builder';
import { ReadState, type ReadLimits } from './read-limits';
import { recordSkipped, skipByName } from './record';
import { readFile } from './source-file';
import type { CorpusProgress } from './types';

/** Folders that hold a tool's bookkeeping rather than anyone's text. */
const TOOL_FOLDERS = new Set(['.git', '.hg', '.svn', 'node_modules']);

/** Reads every file under `root`; returns the source bytes read. */
export async function readFolder(
  builder: CorpusBuilder,
  root: string,
  displayName: string,
  limits: ReadLimits,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<number> {
  const { maxEntries } = limits;
  const files: Array<{ name: string; path: string; size: number }> = [];
  const notes: Array<{ name: string; reason: string; kind: SkipKind }> = [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    const children = await readdir(folder, { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const name = prefix + child.name;
      const path = join(folder, child.name);
      if (files.length + notes.length >= maxEntries) {
        throw new CorpusError(
          'corpus/too-many-entries',
          `"${displayName}" has more than ${maxEntries} files (the limit, maxEntries)`,
        );
      }
      let isDirectory = child.isDirectory();
      let isFile = child.isFile();
      if (child.isSymbolicLink()) {
        const target = await stat(path).catch(() => null);
        if (target?.isDirectory()) {
          notes.push({ name: `${name}/`, reason: 'link to a folder: not followed', kind: 'other' });
          continue;
        }
        isDirectory = false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory) {
        if (TOOL_FOLDERS.has(child.name) || child.name === '__MACOSX') {
          const reason =
            child.name === '__MACOSX' ? 'macOS metadata (__MACOSX)' : 'tool folder: not read';
          notes.push({ name: `${name}/`, reason, kind: 'metadata' });
          continue;
        }
        await walk(path, `${name}/`);
      } else if (isFile) {
        files.push({ name, path, size: (await stat(path)).size });
      } else {
        notes.push({ name, reason: 'not a regular file', kind: 'other' });
      }
    }
  };
  await walk(root, '');
  const totalBytes = files
    .filter((file) => !skipByName(file.name))
    .reduce((sum, file) => sum + file.size, 0);
  const state = new ReadState(limits, displayName, totalBytes, onProgress, signal);
  // At most one symbol per byte, and a separator between files.
  builder.reserve(Math.min(totalBytes + files.length, limits.maxTotalBytes));
  for (const note of notes) recordSkipped(builder, note.name, note.reason, note.kind);
  for (const file of files) {
    state.checkCancelled();
    await readFile(builder, state, file.path, file.name, file.size);
  }
  return state.sourceDone;
}
