/**
 * The Python reference programs as the bench runs them: a Python with the framework a
 * program needs, when one is found, and one run of the program that reports in JSON — the
 * original TF1 program (reference/tf1_lstm.py, the quality section) and the plain
 * time-budgeted script (reference/plain_lstm.py, the budget section).
 */
import { spawn, spawnSync } from 'node:child_process';

/** A Python that imports `module`: $BENCH_PYTHON, the venv the docs suggest, or python3. */
export function pythonWith(module: 'tensorflow' | 'torch'): string | null {
  const candidates = [process.env.BENCH_PYTHON, '/tmp/tfvenv/bin/python', 'python3'].filter(
    (candidate): candidate is string => Boolean(candidate),
  );
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', `import ${module}`], {
      stdio: 'ignore',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    });
    if (probe.status === 0) return python;
  }
  return null;
}

/** A Python with TensorFlow, for the TF1 program. */
export function pythonWithTensorflow(): string | null {
  return pythonWith('tensorflow');
}

/** Runs a reference program; `label` names it in the one-line error when it fails. */
export function runPython(
  python: string,
  args: string[],
  label = 'the TF1 reference',
): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(
          new Error(
            `${label} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`,
          ),
        );
      } else resolve(JSON.parse(last) as Record<string, number | string>);
    });
  });
}
