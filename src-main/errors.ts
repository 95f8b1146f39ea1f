/**
 * Errors for people. Every error that can reach a user carries a one-line message that
 * says what went wrong and, where it helps, what to do. The CLI prints that line, the UI
 * shows it; stacks appear only with --debug or in logs.
 */
export class StudioError extends Error {
  /** A stable machine-readable code, e.g. `corpus/not-a-zip`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A corpus could not be read: not a zip, a bomb, no usable text, … */
export class CorpusError extends StudioError {}

/** A model file could not be written or read, or does not fit. */
export class ModelFileError extends StudioError {}

/** Training could not start or continue. */
export class TrainingError extends StudioError {}

/** A command was given bad arguments. */
export class UsageError extends StudioError {}

/** A request named a file or came from a page it may not: refused before anything runs. */
export class AccessError extends StudioError {}

/** The one line a user sees for any thrown value. */
export function userMessage(error: unknown): string {
  if (error instanceof StudioError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return `not found: ${(error as NodeJS.ErrnoException).path ?? error.message}`;
    if (code === 'ENOSPC') return 'the disk is full';
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return `permission denied: ${(error as NodeJS.ErrnoException).path ?? error.message}`;
    }
    return error.message.split('\n')[0] ?? String(error);
  }
  return String(error);
}
