/**
 * `npm run doctor` and `lstm-studio doctor`: what this installation really runs on — the
 * TensorFlow backend and version, where the native library came from, whether the fused
 * LSTM kernels work, which pair runs (LSTM Studio's, with the instruction set and the
 * library its C kernel API came from, or TensorFlow's and why), and the thread settings
 * TensorFlow will use. Everything is asked of
 * the running system, nothing assumed.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { userMessage } from '../errors';

export interface DoctorReport {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  backend: string | null;
  tfjsNodeVersion: string | null;
  tensorflowVersion: string | null;
  /** What the installer recorded about the libtensorflow it staged, or null. */
  libraryOrigin: Record<string, unknown> | null;
  fusedKernels: boolean | null;
  /** Which fused LSTM kernel pair the engine uses, and why. */
  lstmKernels: string | null;
  threads: { intraOp: string; interOp: string };
  problems: string[];
}

const require = createRequire(import.meta.url);

/**
 * Gathers the report; problems are collected, not thrown, so doctor always prints. With
 * `quick`, only what needs no TensorFlow: the machine, the library's origin and the thread
 * variables the user set (the backend, version and kernels stay unknown).
 */
export async function doctorReport(options: { quick?: boolean } = {}): Promise<DoctorReport> {
  const problems: string[] = [];
  const cpus = os.cpus();
  const report: DoctorReport = {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    backend: null,
    tfjsNodeVersion: null,
    tensorflowVersion: null,
    libraryOrigin: null,
    fusedKernels: null,
    lstmKernels: null,
    threads: { intraOp: 'unknown', interOp: 'unknown' },
    problems,
  };
  try {
    // From the project root, two levels up from src-main/cli/ and from the built out/node/.
    const installer = require(
      fileURLToPath(new URL('../../src-main/native/installer/libtensorflow.cjs', import.meta.url)),
    ) as {
      libraryOrigin: () => Record<string, unknown> | null;
    };
    report.libraryOrigin = installer.libraryOrigin();
    if (report.libraryOrigin === null) {
      problems.push('no libtensorflow found in @tensorflow/tfjs-node/deps');
    }
  } catch (error) {
    problems.push(`library origin unknown: ${userMessage(error)}`);
  }
  // What the user set, before the engine fills in its own defaults (see engine/tf.ts).
  const userThreads = {
    intraOp: process.env.TF_NUM_INTRAOP_THREADS,
    interOp: process.env.TF_NUM_INTEROP_THREADS,
  };
  if (options.quick) {
    const set = (value: string | undefined): string =>
      value === undefined ? 'not checked (--quick)' : `${value} (from the environment)`;
    report.threads = { intraOp: set(userThreads.intraOp), interOp: set(userThreads.interOp) };
    return report;
  }
  let engine: typeof import('../engine') | null = null;
  try {
    // The engine first: it sets the thread defaults TensorFlow reads when it loads.
    engine = await import('../engine');
  } catch (error) {
    problems.push(`engine did not load: ${userMessage(error)}`);
  }
  const describeThreads = (user: string | undefined, effective: string | undefined): string => {
    if (user !== undefined) return `${user} (from the environment)`;
    if (effective !== undefined) return `${effective} (LSTM Studio's default)`;
    // TensorFlow sizes the pool from the core count when the variable is unset.
    return `unset (TensorFlow sizes it from the ${cpus.length} cores)`;
  };
  report.threads = {
    intraOp: describeThreads(userThreads.intraOp, process.env.TF_NUM_INTRAOP_THREADS),
    interOp: describeThreads(userThreads.interOp, process.env.TF_NUM_INTEROP_THREADS),
  };
  try {
    const tf = await import('@tensorflow/tfjs-node');
    report.backend = tf.getBackend();
    report.tfjsNodeVersion = tf.version['tfjs-node'] ?? null;
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    report.tensorflowVersion = binding?.TF_Version ?? null;
  } catch (error) {
    problems.push(`@tensorflow/tfjs-node does not load: ${userMessage(error)}`);
    return report;
  }
  if (engine) {
    try {
      const info = engine.engineInfo();
      report.fusedKernels = info.fusedKernels;
      report.lstmKernels = info.lstmKernels;
      // LSTM Studio's kernels fell back to TensorFlow's: why, and what to do.
      if (info.kernelNotice) problems.push(info.kernelNotice);
      if (!report.fusedKernels) {
        problems.push('fused BlockLSTM kernels unavailable: training falls back to the slow path');
      }
    } catch (error) {
      problems.push(`engine did not answer: ${userMessage(error)}`);
    }
  }
  return report;
}

function describeOrigin(origin: Record<string, unknown> | null): string {
  if (!origin) return 'unknown';
  const parts = [String(origin.source ?? 'unknown')];
  if (origin.kind) parts.push(`(${String(origin.kind)})`);
  if (origin.stagedAt) parts.push(`staged ${String(origin.stagedAt)}`);
  return parts.join(' ');
}

/** The report as aligned lines for a terminal. */
export function formatDoctorReport(report: DoctorReport): string {
  const yesNo = (value: boolean | null): string =>
    value === null ? 'unknown' : value ? 'yes' : 'NO';
  const rows: Array<[string, string]> = [
    ['node', `${report.node} on ${report.platform}`],
    ['cpu', `${report.cpus} × ${report.cpuModel}`],
    ['backend', report.backend ?? 'not loaded'],
    ['tfjs-node', report.tfjsNodeVersion ?? 'unknown'],
    ['TensorFlow', report.tensorflowVersion ?? 'unknown'],
    ['library from', describeOrigin(report.libraryOrigin)],
    ['fused kernels', yesNo(report.fusedKernels)],
    ['LSTM kernels', report.lstmKernels ?? 'unknown'],
    ['intra-op threads', report.threads.intraOp],
    ['inter-op threads', report.threads.interOp],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  for (const problem of report.problems) lines.push(`problem: ${problem}`);
  lines.push(report.problems.length === 0 ? 'all good' : `${report.problems.length} problem(s)`);
  return `${lines.join('\n')}\n`;
}

/** Prints the report (or JSON); exit code 1 when something is wrong. */
export async function runDoctor(
  options: { json?: boolean; quick?: boolean } = {},
): Promise<number> {
  const report = await doctorReport(options);
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatDoctorReport(report));
  return report.problems.length === 0 ? 0 : 1;
}

// `npm run doctor` runs this file directly.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runDoctor({ json: process.argv.includes('--json') });
}
