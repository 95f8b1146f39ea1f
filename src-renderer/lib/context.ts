/**
 * What every piece of renderer state needs from its surroundings: the engine's API, the
 * shell (files, dialogs), and a way to show a person a one-line error.
 */
import type { ShellApi, StudioApi } from '../../src-main/protocol/messages';

export interface StudioContext {
  api: StudioApi;
  shell: ShellApi;
  /** Shows `error` in the alert region as one readable line, prefixed by what failed; returns that line. */
  report(error: unknown, what?: string): string;
}

/** One point of a chart series; Chart.js reads these as-is (parsing: false). */
export interface Point {
  x: number;
  y: number;
}
