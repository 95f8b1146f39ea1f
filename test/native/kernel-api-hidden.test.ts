/**
 * LSTM Studio's kernels when the loaded TensorFlow does not export all of its C kernel API:
 * a copy of this machine's libtensorflow_framework with two of the API's functions renamed
 * in its dynamic symbol table (TF_… → XF_…, so no lookup of the TF_ name finds them) is
 * preloaded into a fresh process in place of the real one. The kernels must not load, the
 * engine must run TensorFlow's pair, and the user must be told once, in one line, why and
 * what to do.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const framework = join(
  dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json')),
  'deps',
  'lib',
  'libtensorflow_framework.so.2',
);
/**
 * Two functions of the C kernel API LSTM Studio's kernels need (attribute reading) that
 * neither tfjs-node's binding nor libtensorflow_cc imports, so TensorFlow itself still loads
 * and runs without them.
 */
const HIDDEN = ['TF_OpKernelConstruction_GetAttrFloat', 'TF_OpKernelConstruction_GetAttrBool'];

/** `elf` with each of `names` renamed in its .dynstr (first letter to X); returns the count. */
function hideSymbols(elf: Buffer, names: string[]): number {
  const sectionsAt = Number(elf.readBigUInt64LE(0x28));
  const entrySize = elf.readUInt16LE(0x3a);
  const count = elf.readUInt16LE(0x3c);
  const section = (i: number) => {
    const at = sectionsAt + i * entrySize;
    return {
      name: elf.readUInt32LE(at),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
      size: Number(elf.readBigUInt64LE(at + 0x20)),
    };
  };
  const headerNames = section(elf.readUInt16LE(0x3e));
  const nameOf = (s: { name: number }) =>
    elf.toString(
      'latin1',
      headerNames.offset + s.name,
      elf.indexOf(0, headerNames.offset + s.name),
    );
  const dynstr = Array.from({ length: count }, (_, i) => section(i)).find(
    (s) => nameOf(s) === '.dynstr',
  );
  if (!dynstr) throw new Error('no .dynstr section');
  let renamed = 0;
  for (const name of names) {
    const needle = Buffer.from(`\0${name}\0`, 'latin1');
    const at = elf.indexOf(needle, dynstr.offset);
    if (at < 0 || at >= dynstr.offset + dynstr.size) continue;
    elf[at + 1] = 'X'.charCodeAt(0);
    renamed++;
  }
  return renamed;
}

const work = mkdtempSync(join(tmpdir(), 'lstm-hidden-api-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(process.platform !== 'linux')(
  "LSTM Studio's kernels with TensorFlow's C kernel API hidden",
  () => {
    it("fall back to TensorFlow's pair, saying why once, in one line", () => {
      const elf = readFileSync(framework);
      expect(hideSymbols(elf, HIDDEN)).toBe(2);
      const patched = join(work, 'libtensorflow_framework.so.2');
      writeFileSync(patched, elf);
      const script = `
        const { lstmKernelChoice } = await import('./src-main/engine/kernels/fused-lstm.ts');
        const { loadStudioKernels } = await import('./src-main/engine/kernels/studio-kernels.ts');
        const { engineInfo } = await import('./src-main/engine/info.ts');
        const choice = lstmKernelChoice();
        lstmKernelChoice();
        const info = engineInfo();
        console.log(JSON.stringify({ load: loadStudioKernels(), choice, info }));
      `;
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          cwd: root,
          encoding: 'utf8',
          env: {
            ...process.env,
            LD_PRELOAD: patched,
            TF_CPP_MIN_LOG_LEVEL: '2',
            LSTM_STUDIO_KERNELS: '',
          },
          timeout: 120000,
        },
      );
      expect(result.status, result.stderr).toBe(0);
      const { load, choice, info } = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
      const reason = `TensorFlow's C kernel API is not in the loaded TensorFlow libraries (${HIDDEN.join(', ')} not found)`;
      expect(load).toMatchObject({ ok: false, cause: 'api-missing', reason });
      expect(choice.names).toMatchObject({
        forward: 'BlockLSTM',
        backward: 'BlockLSTMGrad',
        softmaxLoss: null,
        clipSgd: null,
        source: 'tensorflow',
        description: `TensorFlow BlockLSTM (${reason})`,
      });
      const notice =
        "training uses TensorFlow's BlockLSTM kernels (slower): LSTM Studio's kernels are off because " +
        `${reason}; install from a TensorFlow whose libraries export it, e.g. a TensorFlow CPU wheel through LSTM_STUDIO_LIBTENSORFLOW (docs/offline-install.md)`;
      // Told once on stderr (the CLI's line), and carried to the window by the engine's info.
      const lines = result.stderr.split('\n').filter((line) => line.includes('LSTM Studio'));
      expect(lines).toEqual([`LSTM Studio: ${notice}`]);
      expect(info).toMatchObject({
        fusedKernels: true,
        lstmKernels: `TensorFlow BlockLSTM (${reason})`,
        kernelNotice: notice,
      });
    });
  },
);
