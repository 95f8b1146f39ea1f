import type { Command } from 'commander';
import { register as registerTrain } from './commands/train';
import { register as registerEval } from './commands/eval';
import { register as registerGenerate } from './commands/generate';
import { register as registerPredict } from './commands/predict';
import { register as registerDoctor } from './commands/doctor';
import { register as registerExport } from './commands/export';
import { register as registerInspect } from './commands/inspect';
import { register as registerActivations } from './commands/activations';
import { register as registerCells } from './commands/cells';

/** Every CLI command; each module exports `register(program)`. */
export const commands: Array<(program: Command) => void> = [
  registerTrain,
  registerEval,
  registerGenerate,
  registerPredict,
  registerDoctor,
  registerExport,
  registerInspect,
  registerActivations,
  registerCells,
];
