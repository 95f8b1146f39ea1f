import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_TOTAL_BYTES,
  MAX_TOTAL_BYTES_CEILING,
  loadCorpus,
  type CorpusProgress,
} from '../../src-main/corpus';
import { ReadState, readLimits } from '../../src-main/corpus/read-limits';
import { CorpusError } from '../../src-main/errors';
import type { CorpusFileReport } from '../../src-main/protocol/types';
import { makeZip, type TestEntry } from './zip-writer';

const directory = mkdtempSync(join(tmpdir(), 'corpus-load-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const keep = { normalisation: 'keep', validation: { chars: 0 } } as const;
let counter = 0;

function writeZip(name: string, entries: TestEntry[]): string {
  const path = join(directory, `${counter++}-${name}`);
  writeFileSync(path, makeZip(entries));
  return path;
}

/** The message of the CorpusError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CorpusError);
    return (error as Error).message;
  }
  throw new Error('expected a CorpusError');
}

function text(corpus: Awaited<ReturnType<typeof loadCorpus>>): string {
  return corpus.vocabulary.decode(corpus.ids);
}

/** Report entries without sizes, for compact exact comparisons. */
function summary(files: CorpusFileReport[]): Array<Omit<CorpusFileReport, 'size'>> {
  return files.map(({ size: _size, ...rest }) => rest);
}

describe('zip archives', () => {
  it('reads nested entries in order, skips clutter with reasons and reports every entry', async () => {
    const path = writeZip('books.zip', [
      { name: 'books/' },
      { name: 'books/one.txt', data: 'First book.\n' },
      { name: 'books/deep/two.txt', data: 'Second book', method: 0 },
      { name: '__MACOSX/books/._one.txt', data: 'junk' },
      { name: 'books/._two.txt', data: 'junk' },
      { name: 'books/.DS_Store', data: 'Bud1\u0000\u0000' },
      { name: 'books/empty.txt', data: '' },
      { name: 'books/three.md', data: 'Third' },
    ]);
    const corpus = await loadCorpus(path, keep);
    // A newline separates files unless the previous one ended with one.
    expect(text(corpus)).toBe('First book.\nSecond book\nThird');
    expect(corpus.report.name).toBe(path.split('/').pop());
    expect(corpus.report.files).toEqual([
      { name: 'books/one.txt', size: 12, used: true, encoding: 'utf-8', chars: 12 },
      { name: 'books/deep/two.txt', size: 11, used: true, encoding: 'utf-8', chars: 11 },
      {
        name: '__MACOSX/books/._one.txt',
        size: 0,
        used: false,
        reason: 'macOS metadata (__MACOSX)',
        chars: 0,
      },
      {
        name: 'books/._two.txt',
        size: 0,
        used: false,
        reason: 'macOS metadata (._ file)',
        chars: 0,
      },
      {
        name: 'books/.DS_Store',
        size: 0,
        used: false,
        reason: 'macOS folder settings (.DS_Store)',
        chars: 0,
      },
      { name: 'books/empty.txt', size: 0, used: false, reason: 'empty', chars: 0 },
      { name: 'books/three.md', size: 5, used: true, encoding: 'utf-8', chars: 5 },
    ]);
  });

  it('decodes UTF-8 with and without BOM, UTF-16 with BOM, and Windows-1252 as such', async () => {
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße 😀', 'utf16le')]);
    const utf16be = Buffer.from(utf16le);
    for (let i = 0; i < utf16be.length; i += 2)
      [utf16be[i], utf16be[i + 1]] = [utf16be[i + 1], utf16be[i]];
    const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x71, 0x94, 0x20, 0x80, 0x35]);
    const path = writeZip('encodings.zip', [
      { name: 'plain.txt', data: '中文 and emoji 👍🏽\n' },
      { name: 'bom.txt', data: Buffer.from('\ufeffBOM text\n', 'utf8') },
      { name: 'le.txt', data: utf16le },
      { name: 'be.txt', data: utf16be },
      { name: 'latin.txt', data: latin },
    ]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe('中文 and emoji 👍🏽\nBOM text\nGrüße 😀\nGrüße 😀\ncafé “q” €5');
    expect(summary(corpus.report.files)).toEqual([
      { name: 'plain.txt', used: true, encoding: 'utf-8', chars: 16 },
      { name: 'bom.txt', used: true, encoding: 'utf-8-bom', chars: 9 },
      { name: 'le.txt', used: true, encoding: 'utf-16le', chars: 7 },
      { name: 'be.txt', used: true, encoding: 'utf-16be', chars: 7 },
      {
        name: 'latin.txt',
        used: true,
        encoding: 'windows-1252',
        chars: 11,
        reason: 'not valid UTF-8 (byte 0xE9 at offset 3); read as Windows-1252',
      },
    ]);
    expect(corpus.report.vocabulary).toContain('😀');
    expect(corpus.report.vocabulary).toContain('👍');
    expect(corpus.report.vocabulary).toContain('🏽');
  });

  it('rolls back an entry found to be Windows-1252 far into it, and one found binary', async () => {
    const long = 'a'.repeat(200_000);
    const path = writeZip('late.zip', [
      { name: 'first.txt', data: 'start' },
      { name: 'late-latin.txt', data: Buffer.concat([Buffer.from(long), Buffer.from([0xe9])]) },
      { name: 'late-nul.txt', data: Buffer.concat([Buffer.from(long), Buffer.from([0x00, 0x41])]) },
      { name: 'last.txt', data: 'end' },
    ]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe(`start\n${long}é\nend`);
    expect(summary(corpus.report.files)).toEqual([
      { name: 'first.txt', used: true, encoding: 'utf-8', chars: 5 },
      {
        name: 'late-latin.txt',
        used: true,
        encoding: 'windows-1252',
        chars: 200_001,
        reason: 'not valid UTF-8 (byte 0xE9 at offset 200000); read as Windows-1252',
      },
      { name: 'late-nul.txt', used: false, reason: 'binary: NUL byte at offset 200000', chars: 0 },
      { name: 'last.txt', used: true, encoding: 'utf-8', chars: 3 },
    ]);
    expect(corpus.report.chars).toBe(5 + 1 + 200_001 + 1 + 3);
    // The counts of the rolled-back readings are gone too.
    expect(corpus.report.frequencies[corpus.vocabulary.idOf('a')!]).toBe(200_001);
  });

  it('decodes sequences split across chunk boundaries, deflated and stored', async () => {
    // 3-byte and 4-byte sequences never line up with 64 KiB chunks.
    const cjk = '中文字'.repeat(40_000);
    const emoji = '😀a'.repeat(30_000);
    const path = writeZip('split.zip', [
      { name: 'cjk.txt', data: cjk },
      { name: 'emoji.txt', data: emoji, method: 0 },
    ]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe(`${cjk}\n${emoji}`);
    expect(corpus.report.files.map((file) => file.chars)).toEqual([120_000, 60_000]);
  });

  it('reads zip64 archives and entries with data descriptors', async () => {
    const entries = [
      { name: 'a.txt', data: 'zip64 first\n' },
      { name: 'b.txt', data: 'zip64 second', dataDescriptor: true },
    ];
    const zip64 = join(directory, 'big.zip');
    writeFileSync(zip64, makeZip(entries, { zip64: true }));
    const corpus = await loadCorpus(zip64, keep);
    expect(text(corpus)).toBe('zip64 first\nzip64 second');
    expect(corpus.report.files.map((file) => [file.name, file.used, file.size])).toEqual([
      ['a.txt', true, 12],
      ['b.txt', true, 12],
    ]);
  });

  it('replaces invalid UTF-16 with U+FFFD and says so', async () => {
    // "A", a lone high surrogate, "B", then an odd trailing byte.
    const bytes = Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x42, 0x00, 0x43]);
    const path = writeZip('utf16.zip', [{ name: 'broken.txt', data: bytes }]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe('A\ufffdB\ufffd');
    expect(summary(corpus.report.files)).toEqual([
      {
        name: 'broken.txt',
        used: true,
        encoding: 'utf-16le',
        chars: 4,
        reason: '2 invalid UTF-16 sequences replaced with U+FFFD',
      },
    ]);
  });

  it('skips binary entries by content, whatever their names', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const elf = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
      Buffer.alloc(64),
    ]);
    const path = writeZip('mixed.zip', [
      { name: 'photo.txt', data: png },
      { name: 'program', data: elf },
      { name: 'data.bin', data: Buffer.from([0x41, 0x00, 0x42, 0x00]) },
      { name: 'controls.txt', data: Buffer.from([1, 2, 3, 4, 5, 6, 0x41, 0x42]) },
      { name: 'notes', data: 'Real text without an extension' },
    ]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe('Real text without an extension');
    expect(summary(corpus.report.files)).toEqual([
      { name: 'photo.txt', used: false, reason: 'binary: PNG image', chars: 0 },
      { name: 'program', used: false, reason: 'binary: ELF executable', chars: 0 },
      {
        name: 'data.bin',
        used: false,
        reason: 'binary: NUL byte at offset 1 (UTF-16 needs a byte-order mark)',
        chars: 0,
      },
      {
        name: 'controls.txt',
        used: false,
        reason: 'binary: 6 control bytes in the first 8',
        chars: 0,
      },
      { name: 'notes', used: true, encoding: 'utf-8', chars: 30 },
    ]);
  });

  it('only displays traversal, absolute and backslash names, never uses them as paths', async () => {
    const path = writeZip('names.zip', [
      { name: '../../escape.txt', data: 'up ' },
      { name: '/etc/absolute.txt', data: 'abs ' },
      { name: 'C:\\windows\\back.txt', data: 'back' },
    ]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe('up \nabs \nback');
    expect(corpus.report.files.map((file) => [file.name, file.used])).toEqual([
      ['../../escape.txt', true],
      ['/etc/absolute.txt', true],
      ['C:\\windows\\back.txt', true],
    ]);
    expect(existsSync(resolve(directory, '../../escape.txt'))).toBe(false);
    expect(existsSync(join(directory, 'C:\\windows\\back.txt'))).toBe(false);
  });

  it('skips encrypted entries and entries compressed with unsupported methods', async () => {
    const path = writeZip('locked.zip', [
      { name: 'secret.txt', data: 'hidden', encrypted: true },
      { name: 'packed.txt', data: 'bzip', method: 12 },
      { name: 'open.txt', data: 'visible' },
    ]);
    const corpus = await loadCorpus(path, keep);
    expect(text(corpus)).toBe('visible');
    expect(summary(corpus.report.files)).toEqual([
      { name: 'secret.txt', used: false, reason: 'encrypted', chars: 0 },
      {
        name: 'packed.txt',
        used: false,
        reason: 'compressed with bzip2, which LSTM Studio cannot read',
        chars: 0,
      },
      { name: 'open.txt', used: true, encoding: 'utf-8', chars: 7 },
    ]);
  });

  it('reports bytes read as progress, ending at the archive size', async () => {
    const path = writeZip('progress.zip', [
      { name: 'a.txt', data: 'x'.repeat(3_000_000), method: 0 },
      { name: 'b.txt', data: 'y'.repeat(1000) },
    ]);
    const seen: CorpusProgress[] = [];
    const corpus = await loadCorpus(path, keep, (progress) => seen.push(progress));
    const size = corpus.report.bytesRead;
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i].bytesRead).toBeGreaterThanOrEqual(seen[i - 1].bytesRead);
    expect(seen.at(-1)).toEqual({ bytesRead: size, totalBytes: size });
    expect(seen.every((progress) => progress.totalBytes === size)).toBe(true);
  });

  it('stops when cancelled', async () => {
    const path = writeZip('cancel.zip', [{ name: 'a.txt', data: 'text' }]);
    const controller = new AbortController();
    controller.abort();
    expect(await failure(loadCorpus(path, keep, undefined, controller.signal))).toMatch(
      /^reading ".*cancel\.zip" was cancelled$/,
    );
  });
});

describe('hostile and broken archives', () => {
  it('fails on a file that is not a zip', async () => {
    const path = join(directory, 'fake.zip');
    writeFileSync(path, 'just some text pretending to be a zip');
    expect(await failure(loadCorpus(path, keep))).toBe('"fake.zip" is not a zip archive');
  });

  it('fails on a truncated zip', async () => {
    const whole = makeZip([{ name: 'a.txt', data: 'some text '.repeat(100) }]);
    const path = join(directory, 'cut.zip');
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(await failure(loadCorpus(path, keep))).toBe(
      '"cut.zip" is a truncated zip archive: its end-of-archive directory is missing',
    );
  });

  it('fails on damaged compressed data and on a wrong checksum', async () => {
    const damaged = deflateRawSync(Buffer.from('hello hello hello'));
    damaged[0] = 0xff; // final block of the reserved type 3: invalid
    const path = join(directory, 'damaged.zip');
    writeFileSync(path, makeZip([{ name: 'a.txt', data: 'hello hello hello', rawData: damaged }]));
    expect(await failure(loadCorpus(path, keep))).toBe(
      'entry "a.txt" in "damaged.zip" is corrupt: its compressed data is damaged',
    );
    const crcPath = join(directory, 'crc.zip');
    writeFileSync(crcPath, makeZip([{ name: 'b.txt', data: 'checked', crc: 12345 }]));
    expect(await failure(loadCorpus(crcPath, keep))).toBe(
      'entry "b.txt" in "crc.zip" is corrupt: its checksum does not match',
    );
  });

  it('stops a bomb with a lying declared size at the total size cap, while inflating', async () => {
    const path = join(directory, 'bomb.zip');
    writeFileSync(
      path,
      makeZip([{ name: 'bomb.txt', data: 'ab'.repeat(2_000_000), declaredSize: 100 }]),
    );
    expect(
      await failure(
        loadCorpus(path, { ...keep, maxTotalBytes: 1024 * 1024, maxCompressionRatio: 1e9 }),
      ),
    ).toBe(
      '"bomb.zip" holds more than 1 MiB of uncompressed data (the limit, maxTotalBytes), reached in "bomb.txt"',
    );
  });

  it('stops an entry that expands beyond the compression-ratio limit', async () => {
    const path = join(directory, 'ratio.zip');
    writeFileSync(
      path,
      makeZip([{ name: 'spaces.txt', data: ' '.repeat(8_000_000), declaredSize: 10 }]),
    );
    expect(await failure(loadCorpus(path, keep))).toBe(
      '"spaces.txt" in "ratio.zip" expands more than 200× (the compression-ratio limit): it looks like a compression bomb',
    );
  });

  it('refuses overlapping entries: 50 directory records pointing at one entry', async () => {
    const copies = Array.from({ length: 49 }, (_, i) => ({ name: `copy-${i}.txt`, sameDataAs: 0 }));
    const path = writeZip('overlap.zip', [
      { name: 'book.txt', data: 'text '.repeat(1000) },
      ...copies,
    ]);
    expect(await failure(loadCorpus(path, keep))).toBe(
      `"${path.split('/').pop()}" is refused: entries "book.txt" and "copy-0.txt" share the same bytes (a zip bomb's trick)`,
    );
  });

  it('refuses an entry whose data overlaps the next entry or the central directory', async () => {
    // The first entry claims 10 more compressed bytes than it has: into the second's header.
    const intoNext = writeZip('into-next.zip', [
      { name: 'a.txt', data: 'first', method: 0, directoryCompressedSize: 15 },
      { name: 'b.txt', data: 'second', method: 0 },
    ]);
    expect(await failure(loadCorpus(intoNext, keep))).toMatch(
      /is refused: entries "a\.txt" and "b\.txt" share the same bytes/,
    );
    // The only entry claims the directory's bytes as its own data.
    const intoDirectory = writeZip('into-directory.zip', [
      { name: 'a.txt', data: 'first', method: 0, directoryCompressedSize: 30 },
    ]);
    expect(await failure(loadCorpus(intoDirectory, keep))).toBe(
      `"${intoDirectory.split('/').pop()}" is refused: entry "a.txt" overlaps the archive's directory (a zip bomb's trick)`,
    );
  });

  it('refuses zip64 values beyond the size of the file, before reading at them', async () => {
    const entries = [{ name: 'a.txt', data: 'zip64 text' }];
    const cases: Array<[string, Buffer, string]> = [
      [
        'offset.zip',
        makeZip([{ ...entries[0], directoryOffset: 2 ** 40 }], { zip64: true }),
        '"offset.zip" is truncated: entry "a.txt" runs past the end of the file',
      ],
      [
        'size.zip',
        makeZip([{ ...entries[0], directoryCompressedSize: 2 ** 45 }], { zip64: true }),
        '"size.zip" is truncated: entry "a.txt" runs past the end of the file',
      ],
      [
        'record.zip',
        makeZip(entries, { zip64: true, zip64RecordOffset: 2 ** 50 }),
        '"record.zip" is a corrupt zip archive: its zip64 directory record lies past the end of the file',
      ],
      [
        'count.zip',
        makeZip(entries, { zip64: true, entryCount: 2 ** 40 }),
        `"count.zip" is a corrupt zip archive: it declares ${2 ** 40} entries, more than a file of its size can hold`,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(directory, name);
      writeFileSync(path, bytes);
      expect(await failure(loadCorpus(path, keep)), name).toBe(message);
    }
  });

  it('clamps the total-size limit a request asks for to the ceiling, in one place', () => {
    expect(readLimits(keep).maxTotalBytes).toBe(DEFAULT_MAX_TOTAL_BYTES);
    expect(readLimits({ ...keep, maxTotalBytes: 1024 }).maxTotalBytes).toBe(1024);
    const asked = readLimits({ ...keep, maxTotalBytes: 2 ** 53 });
    expect(asked.maxTotalBytes).toBe(MAX_TOTAL_BYTES_CEILING);
    expect(MAX_TOTAL_BYTES_CEILING).toBe(4 * 1024 ** 3);
    // When the ceiling is what stops a read, the message says so.
    const state = new ReadState(asked, 'huge.zip', 0);
    expect(state.tooLarge('part.txt').message).toBe(
      '"huge.zip" holds more than 4 GiB of uncompressed data (the ceiling of maxTotalBytes, ' +
        'which was asked to be 8192 TiB), reached in "part.txt"',
    );
  });

  it('fails on an archive with too many entries', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `${i}.txt`, data: `${i}` }));
    const path = join(directory, 'many.zip');
    writeFileSync(path, makeZip(entries));
    expect(await failure(loadCorpus(path, { ...keep, maxEntries: 3 }))).toBe(
      '"many.zip" has 5 entries, more than the limit of 3 (maxEntries)',
    );
  });

  it('fails with what was skipped when nothing usable remains', async () => {
    const binaries = join(directory, 'binaries.zip');
    writeFileSync(
      binaries,
      makeZip([
        { name: 'a.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
        { name: 'b.bin', data: Buffer.from([0, 1, 2]) },
        { name: 'c.txt', data: 'secret', encrypted: true },
        { name: 'd.txt', data: '' },
      ]),
    );
    expect(await failure(loadCorpus(binaries, keep))).toBe(
      'no usable text in "binaries.zip": 4 entries skipped (2 binary, 1 encrypted, 1 empty)',
    );
    const locked = join(directory, 'locked-only.zip');
    writeFileSync(locked, makeZip([{ name: 'c.txt', data: 'secret', encrypted: true }]));
    expect(await failure(loadCorpus(locked, keep))).toBe(
      'no usable text in "locked-only.zip": 1 entry skipped (1 encrypted)',
    );
    const empty = join(directory, 'empty.zip');
    writeFileSync(empty, makeZip([]));
    expect(await failure(loadCorpus(empty, keep))).toBe(
      'no usable text in "empty.zip": it is empty',
    );
  });

  it('fails when the text is too short for the validation range', async () => {
    const path = writeZip('short.zip', [{ name: 'a.txt', data: 'short' }]);
    expect(
      await failure(loadCorpus(path, { normalisation: 'keep', validation: { chars: 1000 } })),
    ).toBe('the corpus has 5 characters: a validation range of 1000 leaves none for training');
  });
});

describe('text files and folders', () => {
  it('reads a single text file of any name, recognised by content', async () => {
    const path = join(directory, 'README');
    writeFileSync(path, Buffer.from([0x4f, 0x6c, 0xe9, 0x21]));
    const corpus = await loadCorpus(path, { normalisation: 'lowercase', validation: { chars: 0 } });
    expect(text(corpus)).toBe('olé!');
    expect(corpus.report.files).toEqual([
      {
        name: 'README',
        size: 4,
        used: true,
        encoding: 'windows-1252',
        chars: 4,
        reason: 'not valid UTF-8 (byte 0xE9 at offset 2); read as Windows-1252',
      },
    ]);
  });

  it('fails on a single binary file, saying why', async () => {
    const path = join(directory, 'image.gif');
    writeFileSync(path, Buffer.from('GIF89a\u0001\u0000', 'latin1'));
    expect(await failure(loadCorpus(path, keep))).toBe(
      '"image.gif" is not usable text (binary: GIF image); LSTM Studio reads zip archives, text files and folders',
    );
  });

  it('fails on a missing path', async () => {
    expect(await failure(loadCorpus(join(directory, 'nowhere.txt'), keep))).toMatch(
      /^not found: .*nowhere\.txt$/,
    );
  });

  it('walks a folder in name order, skipping clutter and tool folders with reasons', async () => {
    const root = join(directory, 'folder');
    mkdirSync(join(root, 'b-part'), { recursive: true });
    mkdirSync(join(root, '.git', 'objects'), { recursive: true });
    writeFileSync(join(root, 'a.txt'), 'Alpha');
    writeFileSync(join(root, 'b-part', 'inner.txt'), 'Inner\n');
    writeFileSync(join(root, '.DS_Store'), 'Bud1');
    writeFileSync(join(root, '.git', 'objects', 'x'), Buffer.from([0x78, 0x01, 0, 0]));
    writeFileSync(join(root, 'c.dat'), Buffer.from([0, 0, 0, 0]));
    symlinkSync(join(root, 'b-part'), join(root, 'd-link'));
    const corpus = await loadCorpus(root, keep);
    expect(text(corpus)).toBe('Alpha\nInner\n');
    expect(summary(corpus.report.files)).toEqual([
      { name: '.git/', used: false, reason: 'tool folder: not read', chars: 0 },
      { name: 'd-link/', used: false, reason: 'link to a folder: not followed', chars: 0 },
      { name: '.DS_Store', used: false, reason: 'macOS folder settings (.DS_Store)', chars: 0 },
      { name: 'a.txt', used: true, encoding: 'utf-8', chars: 5 },
      { name: 'b-part/inner.txt', used: true, encoding: 'utf-8', chars: 6 },
      {
        name: 'c.dat',
        used: false,
        reason: 'binary: NUL byte at offset 0 (UTF-16 needs a byte-order mark)',
        chars: 0,
      },
    ]);
    expect(corpus.report.bytesRead).toBe(5 + 6 + 4);
  });

  it('reports a dangling link as skipped instead of failing', async () => {
    const root = join(directory, 'dangling');
    mkdirSync(root);
    writeFileSync(join(root, 'a.txt'), 'text');
    symlinkSync(join(root, 'missing-target'), join(root, 'b-dangling.txt'));
    const corpus = await loadCorpus(root, keep);
    expect(summary(corpus.report.files)).toEqual([
      { name: 'b-dangling.txt', used: false, reason: 'not a regular file', chars: 0 },
      { name: 'a.txt', used: true, encoding: 'utf-8', chars: 4 },
    ]);
  });

  it('applies the entry limit to folders', async () => {
    const root = join(directory, 'crowded');
    mkdirSync(root);
    for (let i = 0; i < 4; i++) writeFileSync(join(root, `${i}.txt`), `${i}`);
    expect(await failure(loadCorpus(root, { ...keep, maxEntries: 3 }))).toBe(
      '"crowded" has more than 3 files (the limit, maxEntries)',
    );
  });
});
