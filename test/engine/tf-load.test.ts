import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withoutLoadNotices } from '../../src-main/engine/tf';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ABSL =
  'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR';
const ONEDNN =
  'I0000 00:00:1795804366.204110     343 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.';

function loadInChild(env: Record<string, string>): { stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src-main/engine/tf.ts').then((m) => console.log(m.tf.getBackend()))",
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 },
  );
  expect(result.status, result.stderr).toBe(0);
  return { stdout: result.stdout, stderr: result.stderr };
}

describe('loading TensorFlow', () => {
  it("drops exactly TensorFlow's two load-time notices", () => {
    const other = 'E0000 00:00:1.0  1 something.cc:1] a real error';
    expect(withoutLoadNotices([ABSL, ONEDNN, other, ''].join('\n'))).toBe(`${other}\n`);
    expect(withoutLoadNotices(`${ONEDNN.replace('oneDNN', 'MKL')}\n`)).toContain('MKL');
  });

  it('prints no notices when it loads, and all of them under LSTM_STUDIO_DEBUG', () => {
    const quiet = loadInChild({ LSTM_STUDIO_DEBUG: '' });
    expect(quiet.stdout.trim()).toBe('tensorflow');
    expect(quiet.stderr).not.toMatch(/absl::InitializeLog|oneDNN custom operations/);
    // The notices are real: with the guard off they appear.
    const debug = loadInChild({ LSTM_STUDIO_DEBUG: '1' });
    expect(debug.stdout.trim()).toBe('tensorflow');
    expect(debug.stderr).toMatch(/oneDNN custom operations are on/);
  });
});
