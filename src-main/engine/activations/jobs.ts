/**
 * The engine's side of `activations:start` / `next` / `cancel` (see
 * protocol/activations.ts): one job at a time. A job is checked and sized when it starts
 * (the memory limit), then computes one chunk per `next`, so a long text never blocks
 * the engine and a running training session keeps stepping between chunks.
 *
 * One job at a time, because each holds a copy of a model: a second start while one is
 * open is refused with a message saying so (never mixed into the first). A job nobody
 * pulls from for IDLE_MS (a closed tab) ends by itself.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Corpus } from '../../corpus/types';
import { Vocabulary } from '../../corpus/vocabulary';
import { UsageError } from '../../errors';
import type { TrainingSnapshot } from '../../model/snapshot';
import {
  ACTIVATION_FIELDS,
  MAX_ACTIVATION_BYTES,
  MAX_ACTIVATION_CHARS,
  TOP_GUESSES,
  bytesPerChar,
  chunkCharsFor,
  type ActivationField,
  type ActivationsChunk,
  type ActivationsHeader,
  type ActivationsRequest,
} from '../../protocol/activations';
import { formatBytes, formatCount } from '../../protocol/format';
import { ActivationReader } from './compute';
import { translateIds, unknownFate, type ModelText } from './text';

/** Where a job's model and text come from; the engine service provides them. */
export interface ActivationSources {
  /** The open model (or a snapshot of the running session) and a name for it; throws when there is none. */
  current(): { snapshot: TrainingSnapshot; name: string };
  /** Loads a saved model file. */
  load(file: string): Promise<TrainingSnapshot>;
  /** The open corpus, for its validation split. */
  corpus(): Corpus | null;
}

export interface ActivationJobsOptions {
  /** A job not pulled from for this long ends (default IDLE_MS). */
  idleMs?: number;
  /** Bytes per chunk to aim for (tests use small chunks). */
  chunkBytes?: number;
  /** The memory limit of one request (tests lower it). */
  limitBytes?: number;
  /** Use the plain-tfjs LSTM instead of the fused kernels (tests). */
  reference?: boolean;
}

/** 60 s: far longer than the window takes between two pulls, short enough to free a forgotten job. */
export const IDLE_MS = 60_000;

interface Job {
  id: string;
  reader: ActivationReader | null;
  ids: Int32Array;
  fields: ActivationField[];
  chunkChars: number;
  chunks: number;
  nextIndex: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class ActivationJobs {
  private job: Job | null = null;
  /** A start that is still loading its model holds the slot too. */
  private starting = false;

  constructor(
    private readonly sources: ActivationSources,
    private readonly options: ActivationJobsOptions = {},
  ) {}

  get busy(): boolean {
    return this.starting || this.job !== null;
  }

  async start(request: ActivationsRequest): Promise<ActivationsHeader> {
    if (this.busy) {
      throw new UsageError(
        'activations/busy',
        'activations are already being computed for another request; wait for it to finish or cancel it',
      );
    }
    this.starting = true;
    try {
      return await this.open(request);
    } finally {
      this.starting = false;
    }
  }

  private async open(request: ActivationsRequest): Promise<ActivationsHeader> {
    const { snapshot, name } =
      request.model.kind === 'file'
        ? {
            snapshot: await this.sources.load(request.model.file.path),
            name: path.basename(request.model.file.path),
          }
        : this.sources.current();
    const vocabulary = Vocabulary.fromSymbols(
      snapshot.vocabulary,
      snapshot.normalisation,
      snapshot.unknownSymbol,
    );
    const { ids, unknown, note } = this.text(request, vocabulary);
    if (ids.length === 0) {
      throw new UsageError('activations/no-text', 'the text has no character this model knows');
    }
    if (ids.length > MAX_ACTIVATION_CHARS) {
      throw new UsageError(
        'activations/too-long',
        `the text has ${formatCount(ids.length)} characters; one request takes at most ${formatCount(MAX_ACTIVATION_CHARS)}`,
      );
    }
    const fields = request.fields
      ? ACTIVATION_FIELDS.filter((field) => request.fields!.includes(field))
      : [...ACTIVATION_FIELDS];
    const layers = snapshot.config.model.layers;
    const perChar = bytesPerChar(layers, fields.length);
    const bytes = ids.length * perChar;
    const limitBytes = this.options.limitBytes ?? MAX_ACTIVATION_BYTES;
    if (bytes > limitBytes) {
      const fits = Math.floor(limitBytes / perChar);
      throw new UsageError(
        'activations/too-large',
        `${formatCount(ids.length)} characters of a ${layers.join('×')} model with ${fields.length} field${fields.length === 1 ? '' : 's'} make ${formatBytes(bytes)} of activations, over the limit of ${formatBytes(limitBytes)} per request: use at most ${formatCount(fits)} characters or fewer fields`,
      );
    }
    const chunkChars = chunkCharsFor(layers, fields.length, this.options.chunkBytes);
    const job: Job = {
      id: `a-${randomBytes(6).toString('hex')}`,
      reader: new ActivationReader(snapshot, { reference: this.options.reference }),
      ids,
      fields,
      chunkChars,
      chunks: Math.ceil(ids.length / chunkChars),
      nextIndex: 0,
      timer: null,
    };
    this.job = job;
    this.touch(job);
    return {
      jobId: job.id,
      model: {
        name,
        step: snapshot.step,
        layers: [...layers],
        vocabulary: [...snapshot.vocabulary],
      },
      ids: ids.slice(),
      fields,
      topGuesses: TOP_GUESSES,
      chunkChars,
      chunks: job.chunks,
      bytes,
      limitBytes,
      unknown: { symbols: unknown, fate: unknownFate(vocabulary) },
      note,
    };
  }

  private text(
    request: ActivationsRequest,
    vocabulary: Vocabulary,
  ): ModelText & { note: string | null } {
    if (request.text.kind === 'text')
      return { ...vocabulary.encode(request.text.text), note: null };
    const corpus = this.sources.corpus();
    if (!corpus) {
      throw new UsageError(
        'activations/no-corpus',
        'open a corpus to read its validation text, or give the text yourself',
      );
    }
    const [start, end] = corpus.report.splits.validation;
    const wanted = request.text.chars;
    const taken = Math.min(wanted, end - start);
    if (taken === 0) {
      throw new UsageError(
        'activations/no-validation',
        `${corpus.report.name} has no validation text; give the text yourself`,
      );
    }
    const translated = translateIds(
      corpus.vocabulary.symbols,
      corpus.ids.subarray(start, start + taken),
      vocabulary,
    );
    const note =
      taken < wanted
        ? `the validation text of ${corpus.report.name} has ${formatCount(taken)} characters, fewer than the ${formatCount(wanted)} asked for`
        : null;
    return { ...translated, note };
  }

  /** Computes and returns the job's next chunk; the last one ends the job. */
  async next(jobId: string): Promise<ActivationsChunk> {
    const job = this.require(jobId);
    const index = job.nextIndex;
    const start = index * job.chunkChars;
    const length = Math.min(job.chunkChars, job.ids.length - start);
    const arrays = job.reader!.read(job.ids, start, length, job.fields);
    job.nextIndex += 1;
    const done = job.nextIndex >= job.chunks;
    if (done) this.end(job);
    else this.touch(job);
    return { jobId, index, done, ...arrays };
  }

  /** Ends a job early; `cancelled` is false when it had already ended. */
  async cancel(jobId: string): Promise<{ cancelled: boolean }> {
    if (!this.job || this.job.id !== jobId) return { cancelled: false };
    this.end(this.job);
    return { cancelled: true };
  }

  dispose(): void {
    if (this.job) this.end(this.job);
  }

  private require(jobId: string): Job {
    if (!this.job || this.job.id !== jobId) {
      throw new UsageError(
        'activations/no-job',
        'that activations request has ended (finished, cancelled, or left idle); start it again',
      );
    }
    return this.job;
  }

  private touch(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = setTimeout(() => this.end(job), this.options.idleMs ?? IDLE_MS);
    job.timer.unref?.();
  }

  private end(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    job.reader?.dispose();
    job.reader = null;
    if (this.job === job) this.job = null;
  }
}
