/**
 * The `lstm-studio` command line: the same engine as the app, in-process and headless.
 * Each command lives in commands/<name>.ts and registers itself on the program.
 */
import { Command, CommanderError } from 'commander';
import { userMessage } from '../errors';
import { commands } from './commands';
import { reportLoadTimes } from './engine-loader';

export function buildProgram(): Command {
  const program = new Command('lstm-studio')
    .description('Train, evaluate and generate with character-level LSTM models.')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; errors become one line on stderr and a non-zero exit. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  reportLoadTimes(debug);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode;
    }
    process.stderr.write(`error: ${userMessage(error)}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exit(code);
