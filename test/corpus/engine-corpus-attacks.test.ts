/**
 * The corpus attacks of the trust-boundaries issue, sent to the real engine over its
 * contract: what a page or a renderer can reach.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src-main/engine/service';
import { makeZip } from './zip-writer';

const directory = mkdtempSync(join(tmpdir(), 'corpus-engine-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('corpus:open refuses hostile archives', () => {
  const service = new EngineService({ dataDir: directory, emit: () => undefined });
  const open = (id: number, path: string, options: Record<string, unknown> = {}) =>
    service.handleMessage({
      kind: 'command',
      id,
      channel: 'corpus:open',
      payload: {
        file: { path },
        options: { normalisation: 'keep', validation: { chars: 1 }, ...options },
      },
    });

  it('50 directory records pointing at one entry, even with the total-size limit raised', async () => {
    const path = join(directory, 'fifty.zip');
    const copies = Array.from({ length: 49 }, (_, i) => ({ name: `copy-${i}.txt`, sameDataAs: 0 }));
    writeFileSync(path, makeZip([{ name: 'book.txt', data: 'text '.repeat(1000) }, ...copies]));
    expect(await open(1, path, { maxTotalBytes: 2 ** 52 })).toEqual({
      kind: 'reply',
      id: 1,
      ok: false,
      error: {
        code: 'corpus/overlapping-entries',
        message:
          '"fifty.zip" is refused: entries "book.txt" and "copy-0.txt" share the same bytes (a zip bomb\'s trick)',
      },
    });
  });

  it('a zip64 offset beyond the file, and an honest archive with the limit raised past its ceiling', async () => {
    const far = join(directory, 'far.zip');
    writeFileSync(
      far,
      makeZip([{ name: 'a.txt', data: 'zip64', directoryOffset: 2 ** 40 }], { zip64: true }),
    );
    expect(await open(2, far)).toMatchObject({
      ok: false,
      error: {
        code: 'corpus/truncated',
        message: '"far.zip" is truncated: entry "a.txt" runs past the end of the file',
      },
    });
    const honest = join(directory, 'honest.zip');
    writeFileSync(honest, makeZip([{ name: 'a.txt', data: 'plain text' }]));
    expect(await open(3, honest, { maxTotalBytes: 2 ** 52 })).toMatchObject({
      ok: true,
      payload: { chars: 10 },
    });
  });
});
