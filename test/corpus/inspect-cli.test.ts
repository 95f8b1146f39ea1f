import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeZip } from './zip-writer';

const root = resolve(__dirname, '../..');
const directory = mkdtempSync(join(tmpdir(), 'corpus-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [join(root, 'src-main/cli/bin.cjs'), 'inspect', ...args],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('lstm-studio inspect', () => {
  const zip = join(directory, 'books.zip');
  writeFileSync(
    zip,
    makeZip([
      { name: 'one.txt', data: 'Abc abc!\n' },
      { name: 'two.txt', data: Buffer.from([0x6e, 0x61, 0xef, 0x76, 0x65]) },
      { name: 'logo.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
    ]),
  );

  it('prints the report as one JSON object', () => {
    const { status, stdout, stderr } = run(
      zip,
      '--json',
      '--normalisation',
      'text8',
      '--validation',
      '2',
    );
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    // "Abc abc!\n" + "naïve" → "abc abc " + "na ve" (ï is Windows-1252 0xEF here)
    expect(report.chars).toBe(13);
    expect(report.vocabulary).toEqual([' ', 'a', 'b', 'c', 'e', 'n', 'v']);
    expect(report.preview).toBe('abc abc na ve');
    expect(report.splits).toEqual({ validation: [0, 2], test: null, train: [2, 13] });
    expect(report.files).toEqual([
      { name: 'one.txt', size: 9, used: true, encoding: 'utf-8', chars: 9 },
      {
        name: 'two.txt',
        size: 5,
        used: true,
        encoding: 'windows-1252',
        chars: 5,
        reason: 'not valid UTF-8 (byte 0xEF at offset 2); read as Windows-1252',
      },
      { name: 'logo.png', size: 8, used: false, reason: 'binary: PNG image', chars: 0 },
    ]);
  });

  it('prints a readable table by default', () => {
    const { status, stdout } = run(zip, '--validation', '0.25');
    expect(status).toBe(0);
    expect(stdout).toContain('characters  14 (normalisation: keep)');
    expect(stdout).toContain('splits      validation [0, 4), train [4, 14)');
    expect(stdout).toContain('files       2 used, 1 skipped');
    expect(stdout).toMatch(/skipped\s+logo\.png {2}\(binary: PNG image\)/);
  });

  it('exits non-zero with one line on stderr when the corpus is unusable', () => {
    const fake = join(directory, 'fake.zip');
    writeFileSync(fake, 'not a zip at all');
    const { status, stdout, stderr } = run(fake);
    expect(status).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: "fake.zip" is not a zip archive\n');

    const bad = run(zip, '--validation', '1.5');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toBe('error: --validation as a fraction must be below 1, not 1.5\n');
  });
});
