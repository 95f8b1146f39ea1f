/**
 * The original TF1 program (reference/tf1_lstm.py) as the quality section runs it: a Python
 * with TensorFlow, when one is found, and one run of the program that reports in JSON.
 */
import { spawn, spawnSync } from 'node:child_process';

/** A Python with TensorFlow: $BENCH_PYTHON, the venv the docs suggest, or python3. */
export function pythonWithTensorflow(): string | null {
  const candidates = [process.env.BENCH_PYTHON, '/tmp/tfvenv/bin/python', 'python3'].filter(
    (candidate): candidate is string => Boolean(candidate),
  );
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import tensorflow'], {
      stdio: 'ignore',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    });
    if (probe.status === 0) return python;
  }
  return null;
}

export function runPython(
  python: string,
  args: string[],
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
            `the TF1 reference failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`,
          ),
        );
      } else resolve(JSON.parse(last) as Record<string, number | string>);
    });
  });
}
