import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineInfo } from '../../src-main/engine/info';

describe('engineInfo', () => {
  it('reports the native backend, its TensorFlow version, the fused kernels and the app version', () => {
    const info = engineInfo();
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(info.backend).toBe('tensorflow');
    expect(info.tensorflowVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.fusedKernels).toBe(true);
    expect(info.appVersion).toBe(pkg.version);
    expect(info.librarySource.length).toBeGreaterThan(0);
    // LSTM Studio's kernels are built and pass their self-check here: no fallback to report.
    if (process.env.LSTM_STUDIO_KERNELS !== 'tensorflow') {
      expect(info.lstmKernels).toMatch(/^LSTM Studio kernels \(/);
      expect(info.kernelNotice).toBeUndefined();
    }
  });
});
