import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSampleCorpus, sampleCorpusPath } from '../../src-main/corpus';

describe('the bundled sample corpus', () => {
  it('is a zip of at most 2 MB beside its README', () => {
    const path = sampleCorpusPath();
    expect(path).toMatch(/assets\/corpora\/king-james-bible\.zip$/);
    expect(statSync(path).size).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(statSync(path.replace('king-james-bible.zip', 'README.md')).isFile()).toBe(true);
  });

  it('reads as 66 books of ASCII text, Genesis first', async () => {
    const corpus = await loadSampleCorpus({ normalisation: 'keep', validation: { chars: 1000 } });
    const { report } = corpus;
    expect(report.files).toHaveLength(66);
    expect(report.files.every((file) => file.used && file.encoding === 'utf-8')).toBe(true);
    expect(report.files[0].name).toBe('king-james-bible/01-genesis.txt');
    expect(report.files[65].name).toBe('king-james-bible/66-revelation.txt');
    // Every book ends with a newline, so no separators are added between them.
    expect(report.chars).toBe(report.files.reduce((sum, file) => sum + file.chars, 0));
    expect(report.chars).toBe(4_298_238);
    expect(
      report.preview.startsWith(
        'Genesis 1\n\n  1 In the beginning God created the heaven and the earth.',
      ),
    ).toBe(true);
    expect(report.vocabulary.every((symbol) => symbol.charCodeAt(0) < 0x80)).toBe(true);
    expect(report.unknownSymbol).toBeNull();
    expect(corpus.ids).toBeInstanceOf(Uint8Array);
  });
});
