/** The bundled sample corpus (see assets/corpora/README.md for its provenance). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SAMPLE_CORPUS_FILE = 'king-james-bible.zip';

/**
 * The absolute path of the bundled sample corpus zip: beside the app's resources when
 * packaged, else in the source tree's assets/corpora.
 */
export function sampleCorpusPath(): string {
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resources) {
    const packaged = join(resources, 'assets', 'corpora', SAMPLE_CORPUS_FILE);
    if (existsSync(packaged)) return packaged;
  }
  // src-main/corpus/ in development, out/main/ when bundled: both two levels below the root.
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', 'assets', 'corpora', SAMPLE_CORPUS_FILE);
}
