/** Running the CLI for real in tests: `node src-main/cli/bin.cjs …`, and reading what it printed. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');
export const bin = path.join(root, 'src-main/cli/bin.cjs');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** stderr without TensorFlow's own start-up logging, which the CLI does not control. */
export function ownStderr(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.length > 0)
    .filter(
      (line) => !/^(WARNING: All log messages|I0000|W0000|To enable the following)/.test(line),
    );
}

export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A few thousand characters of varied, deterministic text over a small alphabet. */
export function tinyText(words: string[], count: number): string {
  let state = 12345;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    parts.push(words[state % words.length]);
  }
  return `${parts.join(' ')}.\n`;
}

/**
 * Runs `lstm-studio` with `args` (plain output), sends `signal` once a validation line
 * has been printed, and returns the exit code and what it printed.
 */
export function cliUntilSignal(
  args: string[],
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  let stdout = '';
  let signalled = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!signalled && /validation perplexity/.test(stdout)) {
      signalled = true;
      child.kill(signal);
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}
