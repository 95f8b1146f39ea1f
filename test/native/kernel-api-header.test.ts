import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kernels = join(root, 'src-main', 'native', 'kernels');
const check = join(root, 'test', 'native', 'fixtures', 'tf_kernel_api_check.cc');
const tfjsNode = dirname(
  createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'),
);
/** TensorFlow's own headers, where the install has them (a wheel's do; the C archives' do not). */
const include = join(tfjsNode, 'deps', 'include');
const hasKernelHeaders = existsSync(join(include, 'tensorflow', 'c', 'kernels.h'));
const work = mkdtempSync(join(tmpdir(), 'lstm-api-header-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Compiles the check (syntax only) with the project header from `headerDir`. */
function compile(headerDir: string): { ok: boolean; errors: string[] } {
  const result = spawnSync(
    process.env.CXX || 'c++',
    ['-fsyntax-only', '-std=c++17', `-I${include}`, `-I${headerDir}`, check],
    { encoding: 'utf8' },
  );
  const errors = (result.stderr || '').split('\n').filter((line) => /error:/.test(line));
  return { ok: result.status === 0, errors };
}

describe("LSTM Studio's declaration of TensorFlow's C kernel API (tf_kernel_api.h)", () => {
  it.skipIf(!hasKernelHeaders)(
    "matches TensorFlow's own headers: every function type and every enum value",
    () => {
      expect(compile(kernels)).toEqual({ ok: true, errors: [] });
    },
  );

  it.skipIf(!hasKernelHeaders)('the comparison fails when a declaration is wrong', () => {
    const header = readFileSync(join(kernels, 'tf_kernel_api.h'), 'utf8');
    const wrong = header.replace(
      'X(Dim, int64_t(const Tensor*, int))',
      'X(Dim, int(const Tensor*, int))',
    );
    expect(wrong).not.toBe(header);
    writeFileSync(join(work, 'tf_kernel_api.h'), wrong);
    const result = compile(work);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toMatch(/TF_Dim differs from TensorFlow's declaration/);
  });

  it('is the only TensorFlow declaration the kernels include', () => {
    const sources = readdirSync(kernels).filter((file) => /\.(cc|c|h)$/.test(file));
    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) {
      const text = readFileSync(join(kernels, file), 'utf8');
      expect(text, file).not.toMatch(/#include\s+["<]tensorflow\//);
    }
  });
});
