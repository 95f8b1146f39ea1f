/**
 * The kernels' Windows code paths (module enumeration with GetProcAddress, the stderr
 * guard's no-op) compiled and linked for Windows x86-64 with the mingw-w64 GCC
 * cross-compiler, where it is installed (Debian: g++-mingw-w64-x86-64). This checks the
 * sources, not binding.gyp's Visual Studio settings, and nothing is run on Windows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kernels = join(root, 'src-main', 'native', 'kernels');
const CXX = 'x86_64-w64-mingw32-g++';
const found = spawnSync(CXX, ['--version']).status === 0;
/** Node's headers for the running Node (node_api.h), where a system install keeps them. */
const nodeHeaders = join(dirname(dirname(process.execPath)), 'include', 'node');
const work = mkdtempSync(join(tmpdir(), 'lstm-windows-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: work, encoding: 'utf8', timeout: 300000 });
  expect(result.status, `${command} ${args.join(' ')}\n${result.stderr}`).toBe(0);
}

describe.skipIf(!found || !existsSync(join(nodeHeaders, 'node_api.h')))(
  'the kernels built for Windows with mingw-w64',
  () => {
    it('compile and link into a .node that imports no TensorFlow DLL', { timeout: 300_000 }, () => {
      const sources = readdirSync(kernels).filter((file) => file.endsWith('.cc'));
      for (const file of sources)
        run(CXX, [
          '-std=c++17',
          '-O2',
          '-Wall',
          '-Wno-unused-function',
          // As node-gyp defines it: N-API functions imported from node.exe.
          '-DBUILDING_NODE_EXTENSION',
          `-I${nodeHeaders}`,
          '-c',
          join(kernels, file),
          '-o',
          join(work, file.replace(/\.cc$/, '.o')),
        ]);
      // An import library for the N-API functions node.exe exports (node-gyp downloads
      // node.lib for this on Windows).
      const nm = spawnSync(
        'x86_64-w64-mingw32-nm',
        ['-u', ...sources.map((f) => f.replace(/\.cc$/, '.o'))],
        {
          cwd: work,
          encoding: 'utf8',
        },
      );
      const napi = [
        ...new Set([...nm.stdout.matchAll(/ U (?:__imp_)?(napi_\w+)/g)].map((m) => m[1])),
      ];
      expect(napi).toContain('napi_create_function');
      writeFileSync(join(work, 'node.def'), `LIBRARY node.exe\nEXPORTS\n${napi.join('\n')}\n`);
      run('x86_64-w64-mingw32-dlltool', ['-d', 'node.def', '-l', 'libnode.a']);
      run(CXX, [
        '-shared',
        '-o',
        'lstm_studio_kernels.node',
        ...sources.map((f) => f.replace(/\.cc$/, '.o')),
        '-L.',
        '-lnode',
        '-static-libgcc',
        '-static-libstdc++',
      ]);
      const dump = spawnSync('x86_64-w64-mingw32-objdump', ['-p', 'lstm_studio_kernels.node'], {
        cwd: work,
        encoding: 'utf8',
      });
      const dlls = [...dump.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
      expect(dlls).toContain('node.exe');
      expect(dlls.filter((name) => name.includes('tensorflow'))).toEqual([]);
    });
  },
);
