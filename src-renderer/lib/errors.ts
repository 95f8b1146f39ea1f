/**
 * Errors as the renderer shows them: one readable line, never a stack or a raw exception.
 */

/** A command the engine (or the bridge to it) refused; `code` is for programs, `message` for people. */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

const MAX_MESSAGE = 300;

/**
 * The one line a person should read for `error`. Electron wraps rejected IPC calls as
 * "Error invoking remote method 'x': Error: message"; those wrappers and class-name
 * prefixes are noise to a user, so they go, and only the first line survives.
 */
export function readableMessage(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = error.message;
  else if (typeof error === 'string') text = error;
  else if (
    error &&
    typeof error === 'object' &&
    typeof (error as { message?: unknown }).message === 'string'
  )
    text = (error as { message: string }).message;
  else text = '';
  text = text.replace(/^Error invoking remote method '[^']*':\s*/, '');
  text = text.replace(/^(?:[A-Z][A-Za-z]*Error|Error):\s*/, '');
  text = (text.split(/\r?\n/)[0] ?? '').trim();
  if (text === '') return 'Something went wrong (no details were given).';
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
