import type { Command } from 'commander';

/** Every CLI command; each module exports `register(program)`. */
export const commands: Array<(program: Command) => void> = [];
