/**
 * A training session's options, what it tells its listeners, and what its run returns (the
 * session is training-session.ts; the service turns these into the contract's events).
 */
import type { LstmKernelNames } from './kernels/fused-lstm';
import type { Corpus } from '../corpus/types';
import type { TrainingSnapshot } from '../model/snapshot';
import type { EngineEvent } from '../protocol/messages';
import type {
  RunConfig,
  RunEnd,
  SampleRecord,
  TrainingProgress,
  TrainingState,
  ValidationPoint,
  ValidationReport,
} from '../protocol/types';

export type ProgressEvent = TrainingProgress;
export type ValidationEvent = ValidationReport;
export interface CheckpointEvent {
  step: number;
  path: string;
  best: boolean;
}
export interface TrainingEvents {
  progress: (e: ProgressEvent) => void;
  validation: (e: ValidationEvent) => void;
  sample: (e: SampleRecord) => void;
  checkpoint: (e: CheckpointEvent) => void;
  state: (s: TrainingState) => void;
}
export type CheckpointReason = 'interval' | 'pause' | 'stop' | 'final';
/** Saves a snapshot somewhere durable; returns the path written. */
export type CheckpointWriter = (
  snapshot: TrainingSnapshot,
  info: { reason: CheckpointReason; best: boolean },
) => Promise<string>;

export interface RunResult {
  /** Why the run ended. */
  end: RunEnd;
  step: number;
  /** Seconds spent training in this run (pauses excluded). */
  trainSeconds: number;
  /** Steps of this run per second of its training time. */
  stepsPerSec: number;
  bestValidation: { step: number; bitsPerChar: number } | null;
  finalValidation: ValidationPoint | null;
  /** When it diverged: where, and the one line that says what happened and what to try. */
  divergence: { step: number; message: string } | null;
  /** The last checkpoint this run wrote (after a divergence: the last good one). */
  lastCheckpoint: { step: number; path: string } | null;
}

export interface SessionOptions {
  corpus: Corpus;
  config: RunConfig;
  /** Resume from this snapshot (resume.ts decides what `config` may change). */
  snapshot?: TrainingSnapshot;
  checkpoint?: CheckpointWriter;
  /** Seconds a probe already spent of the run's time budget choosing its configuration (budget-probe.ts). */
  probeSeconds?: number;
  /** Use the general (tfjs-tensor) step even where the handle-level fast step applies; for tests. */
  general?: boolean;
  /** Use the plain-tfjs reference LSTM instead of the fused kernels; for tests (slow). */
  reference?: boolean;
  /** A fused kernel pair other than the engine's choice (kernels/fused-lstm.ts); for the bench. */
  kernels?: LstmKernelNames;
}

type Listener = (payload: never) => void;

/** Listeners by event name, called in the order they subscribed. */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof Events>(event: K, payload: Parameters<Events[K]>[0]): void {
    for (const listener of this.listeners.get(event) ?? [])
      (listener as (value: typeof payload) => void)(payload);
  }
}

/**
 * The contract's event for a run that returned `result`: `training:error` for a
 * divergence, else `training:done` with the one-line `choice` a budget's probe made (or null).
 */
export function runEndEvent(runId: string, result: RunResult, choice: string | null): EngineEvent {
  if (result.divergence) {
    return {
      type: 'training:error',
      runId,
      reason: 'diverged',
      message: result.divergence.message,
      step: result.step,
    };
  }
  return {
    type: 'training:done',
    runId,
    reason: result.end === 'finished' ? 'finished' : 'stopped',
    step: result.step,
    trainSeconds: result.trainSeconds,
    stepsPerSec: result.stepsPerSec,
    bestValidation: result.bestValidation,
    finalValidation: result.finalValidation,
    choice,
  };
}
