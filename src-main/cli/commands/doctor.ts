/** `lstm-studio doctor`: the same report as `npm run doctor`. */
import type { Command } from 'commander';

/** Adds `doctor` to the program. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('Show the TensorFlow backend, its version and origin, fused kernels and threads.')
    .option('--json', 'print the report as JSON')
    .option('--quick', 'only what needs no TensorFlow: machine, library origin, thread settings')
    .action(async (options: { json?: boolean; quick?: boolean }) => {
      const { runDoctor } = await import('../doctor');
      process.exitCode = await runDoctor(options);
    });
}
