/** The machine a bench run measured on: the table every run of `npm run bench` starts with. */
import os from 'node:os';
import { loadAverage, table } from './report';

export async function machineTable(): Promise<string> {
  const { doctorReport } = await import('../cli/doctor');
  const report = await doctorReport();
  const origin = report.libraryOrigin
    ? String(report.libraryOrigin.source ?? 'unknown')
    : 'unknown';
  return table(
    ['', ''],
    [
      ['date', new Date().toISOString()],
      ['CPU', `${report.cpuModel}, ${report.cpus} cores`],
      ['RAM', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
      ['OS', report.platform],
      ['node', report.node],
      ['tfjs-node', report.tfjsNodeVersion ?? 'unknown'],
      ['TensorFlow', report.tensorflowVersion ?? 'unknown'],
      ['library source', origin],
      ['fused kernels', String(report.fusedKernels)],
      ['LSTM kernels', report.lstmKernels ?? 'unknown'],
      ['threads', `intra-op ${report.threads.intraOp}; inter-op ${report.threads.interOp}`],
      ['load average at start', loadAverage()],
    ],
  );
}
