/**
 * Text from a model: `Generator` (generation, next-character prediction and evaluation from
 * a snapshot), and for a training run `sampleTexts` (the samples it shows at its sample
 * interval) and `validationPass` (its validation at every summary).
 *
 * `Generator.fromSnapshot` loads the weights once. A prime runs through the fused kernels
 * in one call per layer; then each character is one fused forward kernel per layer
 * (T = 1) with two Reshapes for the state, a MatMul and the bias added on the host, on
 * bare native handles (handles.ts) with each symbol's input row made once, and one read of
 * the [V] logits. Without the fused kernels each character goes through the reference
 * LSTM instead. The next character is drawn on the host (sampling.ts) from a seeded RNG,
 * so a seed gives the same text from the same model, before and after a save.
 */
import { Vocabulary } from '../corpus/vocabulary';
import type { Corpus } from '../corpus/types';
import type { TrainingSnapshot } from '../model/snapshot';
import type { GenerateOptions, GeneratedChar, ModelConfig, RunConfig } from '../protocol/types';
import { Handles } from './handles';
import { FusedLstm } from './kernels/fused-lstm';
import {
  createContext,
  disposeContext,
  disposeParams,
  disposeState,
  evaluateIds,
  forwardLogits,
  zeroState,
  type EngineContext,
  type LayerState,
  type Params,
} from './model';
import { Rng } from './rng';
import { sampleId, softmaxInto } from './sampling';
import { paramsFromSnapshot } from './snapshot-tensors';
import { tf } from './tf';

export const CHUNK_CHARS = 32;
/** Alternatives reported per character when asked. */
export const ALTERNATIVES = 5;

export class Generator {
  readonly config: RunConfig;
  readonly vocabulary: Vocabulary;
  private readonly context: EngineContext;
  private readonly params: Params;
  private readonly size: number;
  private disposed = false;

  private constructor(snapshot: TrainingSnapshot, context: EngineContext) {
    this.config = snapshot.config;
    this.vocabulary = Vocabulary.fromSymbols(
      snapshot.vocabulary,
      snapshot.normalisation,
      snapshot.unknownSymbol,
    );
    this.size = snapshot.vocabulary.length;
    this.context = context;
    this.params = paramsFromSnapshot(snapshot, snapshot.config.model, this.size);
  }

  /** `reference` runs the plain-tfjs LSTM instead of the fused kernels (tests; slow). */
  static fromSnapshot(
    snapshot: TrainingSnapshot,
    options: { reference?: boolean } = {},
  ): Generator {
    const context = createContext({ reference: options.reference });
    try {
      return new Generator(snapshot, context);
    } catch (error) {
      disposeContext(context);
      throw error;
    }
  }

  /**
   * Generates `options.length` characters after `options.prime`. `text` is the generated
   * characters only (without the prime). With an empty prime (or one with no known
   * symbol) the first character is drawn uniformly, like the tutorial's samples.
   * `onChunk` receives every CHUNK_CHARS characters as they come; an aborted `signal`
   * ends generation early and returns what was generated so far. Per-character
   * probabilities and alternatives are the model's own (temperature 1) distribution.
   */
  async generate(
    options: GenerateOptions,
    onChunk?: (chunk: { text: string; chars?: GeneratedChar[] }) => void,
    signal?: AbortSignal,
  ): Promise<{ text: string; unknownInPrime: string[] }> {
    this.assertUsable();
    const { ids, unknown } = this.vocabulary.encode(options.prime ?? '');
    const rng = Rng.fromSeed(options.seed);
    const size = this.size;
    const probabilities = new Float64Array(size);
    const raw = new Float64Array(size);
    const order = new Int32Array(size);
    const sampling = { temperature: options.temperature, topK: options.topK, topP: options.topP };
    const symbols = this.vocabulary.symbols;
    const out: string[] = [];
    let chunkText: string[] = [];
    let chunkChars: GeneratedChar[] = [];
    const flush = (): void => {
      if (chunkText.length === 0) return;
      onChunk?.({
        text: chunkText.join(''),
        ...(options.withAlternatives ? { chars: chunkChars } : {}),
      });
      chunkText = [];
      chunkChars = [];
    };

    let logits: Float32Array | null = null;
    let next: number;
    let start = this.zeroState();
    if (ids.length > 0) {
      const result = this.run(ids, start);
      start = result.state;
      logits = result.logits;
    }
    // The handle-level stepper calls BlockLSTM directly; without the fused kernels each
    // character goes through the reference implementation instead.
    const lstm = this.context.lstm;
    const stepper =
      lstm instanceof FusedLstm
        ? new Stepper(this.context.ops, lstm, this.config.model, size, this.params, start)
        : new ReferenceStepper(this, start);
    try {
      for (let n = 0; n < options.length; n++) {
        if (signal?.aborted) break;
        let probability = 1 / size;
        if (logits) {
          softmaxInto(logits, 0, size, options.temperature, probabilities);
          next = sampleId(probabilities, size, sampling, rng, order);
          if (options.withAlternatives || options.temperature !== 1)
            softmaxInto(logits, 0, size, 1, raw);
          else raw.set(probabilities);
          probability = raw[next];
        } else {
          next = rng.int(size);
          raw.fill(1 / size);
        }
        out.push(symbols[next]);
        chunkText.push(symbols[next]);
        if (options.withAlternatives) {
          chunkChars.push({
            symbol: symbols[next],
            probability,
            alternatives: topAlternatives(raw, symbols),
          });
        }
        if (chunkText.length >= CHUNK_CHARS) {
          flush();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        if (n + 1 < options.length) logits = stepper.step(next);
      }
      flush();
    } finally {
      stepper.dispose();
    }
    return { text: out.join(''), unknownInPrime: unknown };
  }

  /**
   * Next-character distribution after the prime, aligned with the vocabulary ids (state
   * starts at zero). With no known symbol in the prime: uniform.
   */
  predict(prime: string): { probabilities: Float32Array; unknownInPrime: string[] } {
    this.assertUsable();
    const { ids, unknown } = this.vocabulary.encode(prime);
    const probabilities = new Float32Array(this.size);
    if (ids.length === 0) {
      probabilities.fill(1 / this.size);
      return { probabilities, unknownInPrime: unknown };
    }
    const result = this.run(ids, this.zeroState());
    disposeState(result.state);
    const scratch = new Float64Array(this.size);
    softmaxInto(result.logits, 0, this.size, 1, scratch);
    probabilities.set(scratch);
    return { probabilities, unknownInPrime: unknown };
  }

  /** Teacher-forced, stateful, from a zero state, over the given ids. */
  evaluate(ids: ArrayLike<number>): { chars: number; bitsPerChar: number; perplexity: number } {
    this.assertUsable();
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= this.size) {
        throw new RangeError(
          `id ${ids[i]} at ${i} is outside the vocabulary of ${this.size} symbols`,
        );
      }
    }
    const { meanLoss, predictions } = evaluateIds(
      this.context,
      this.params,
      this.config.model,
      this.size,
      ids,
    );
    return { chars: predictions, bitsPerChar: meanLoss / Math.LN2, perplexity: Math.exp(meanLoss) };
  }

  /** Runs ids (one stream) from `state` (disposed); returns the last step's logits [V] and the new state. */
  run(ids: ArrayLike<number>, state: LayerState[]): { logits: Float32Array; state: LayerState[] } {
    const inputs = tf.tensor2d(Int32Array.from(ids as ArrayLike<number>), [ids.length, 1], 'int32');
    const result = forwardLogits(
      this.context,
      this.params,
      this.config.model,
      this.size,
      inputs,
      state,
    );
    inputs.dispose();
    disposeState(state);
    const all = result.logits.dataSync() as Float32Array;
    result.logits.dispose();
    return { logits: all.subarray(all.length - this.size), state: result.state };
  }

  private zeroState(): LayerState[] {
    return this.config.model.layers.map((units) => ({
      c: tf.zeros([1, units]),
      h: tf.zeros([1, units]),
    }));
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('this generator has been disposed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeParams(this.params);
    disposeContext(this.context);
  }
}

function topAlternatives(
  probabilities: Float64Array,
  symbols: string[],
): GeneratedChar['alternatives'] {
  const size = symbols.length;
  const result: GeneratedChar['alternatives'] = [];
  const taken = new Set<number>();
  for (let k = 0; k < Math.min(ALTERNATIVES, size); k++) {
    let best = -1;
    for (let i = 0; i < size; i++) {
      if (!taken.has(i) && (best < 0 || probabilities[i] > probabilities[best])) best = i;
    }
    taken.add(best);
    result.push({ symbol: symbols[best], probability: probabilities[best] });
  }
  return result;
}

/** One character at a time through `Generator.run` (any LSTM implementation). */
class ReferenceStepper {
  private state: LayerState[];
  constructor(
    private readonly generator: Generator,
    state: LayerState[],
  ) {
    this.state = state;
  }
  step(symbol: number): Float32Array {
    const result = this.generator.run([symbol], this.state);
    this.state = result.state;
    return result.logits;
  }
  dispose(): void {
    disposeState(this.state);
    this.state = [];
  }
}

/**
 * One character at a time on bare native handles (handles.ts): the input row of each
 * symbol is made once ([1, 1, I]: a one-hot row or the embedding row), then per character
 * the fused forward kernel per layer (T = 1) with two Reshapes for the state, a MatMul, and
 * one read of the [1, V] logits (the bias is added on the host: V additions cost less than
 * a kernel call). No tfjs Tensor object is made per character.
 */
class Stepper {
  private readonly h: Handles;
  private readonly lstm: FusedLstm;
  private readonly config: RunConfig['model'];
  private readonly size: number;
  private readonly params: Params;
  private readonly inputs = new Map<number, number>();
  private bias: Float32Array | null = null;
  private state: { c: number; h: number }[];
  /** The tfjs tensors the starting state's handles belong to, until the first step replaces them. */
  private initial: LayerState[] | null;

  constructor(
    ops: EngineContext['ops'],
    lstm: FusedLstm,
    config: RunConfig['model'],
    size: number,
    params: Params,
    state: LayerState[],
  ) {
    this.h = new Handles(ops);
    this.lstm = lstm;
    this.config = config;
    this.size = size;
    this.params = params;
    // Takes over the starting state (disposed by the first step or by dispose()).
    this.initial = state;
    this.state = state.map((s) => ({ c: this.h.id(s.c), h: this.h.id(s.h) }));
  }

  private input(symbol: number): number {
    let handle = this.inputs.get(symbol);
    if (handle === undefined) {
      const b = this.h.binding;
      if (this.config.input === 'one-hot') {
        const row = new Float32Array(this.size);
        row[symbol] = 1;
        handle = b.createTensor([1, 1, this.size], b.TF_FLOAT, row);
      } else {
        const width = this.config.embeddingSize;
        const row = this.params.embedding
          .dataSync()
          .slice(symbol * width, (symbol + 1) * width) as Float32Array;
        handle = b.createTensor([1, 1, width], b.TF_FLOAT, row);
      }
      this.inputs.set(symbol, handle);
    }
    return handle;
  }

  /** Feeds `symbol`; returns the logits [V] for the next one. */
  step(symbol: number): Float32Array {
    const { h } = this;
    const ops = h.ops;
    const seqLen = ops.int64(1);
    // x is [1, 1, I]: the symbol's row for the bottom layer, the h sequence output above.
    let x = this.input(symbol);
    let xOwned = false;
    const next: { c: number; h: number }[] = [];
    this.config.layers.forEach((units, l) => {
      const zeros = h.id(ops.zeros([units]));
      const shape = h.id(ops.int32Vector([1, units]));
      const out = h.execMany(
        this.lstm.names.forward,
        this.lstm.forwardAttrs,
        [
          seqLen,
          x,
          this.state[l].c,
          this.state[l].h,
          h.id(this.params[`lstm/${l}/kernel`]),
          zeros,
          zeros,
          zeros,
          h.id(this.params[`lstm/${l}/bias`]),
        ],
        7,
      );
      if (xOwned) h.free(x);
      const c = h.exec('Reshape', h.attrs.none, [out[1], shape]);
      const hidden = h.exec('Reshape', h.attrs.none, [out[6], shape]);
      for (let k = 0; k < 6; k++) h.free(out[k]);
      next.push({ c, h: hidden });
      x = out[6];
      xOwned = true;
    });
    h.free(x);
    this.releaseState();
    this.state = next;
    const top = next[next.length - 1].h;
    const product = h.exec('MatMul', h.attrs.none, [top, h.id(this.params['softmax/kernel'])]);
    const values = (
      h.binding as unknown as { tensorDataSync(id: number): Float32Array }
    ).tensorDataSync(product);
    h.free(product);
    this.bias ??= this.params['softmax/bias'].dataSync() as Float32Array;
    for (let i = 0; i < values.length; i++) values[i] += this.bias[i];
    return values;
  }

  private releaseState(): void {
    if (this.initial) {
      disposeState(this.initial);
      this.initial = null;
    } else {
      for (const s of this.state) {
        this.h.free(s.c);
        this.h.free(s.h);
      }
    }
    this.state = [];
  }

  dispose(): void {
    this.releaseState();
    for (const handle of this.inputs.values()) this.h.free(handle);
    this.inputs.clear();
  }
}

/**
 * A training run's samples: `count` samples of `length` characters each, generated in
 * parallel (one stream each) from a zero state, each starting with a uniformly random
 * symbol like the tutorial's, drawn at temperature 1 from `rng`.
 */
export function sampleTexts(
  context: EngineContext,
  params: Params,
  config: RunConfig,
  vocabulary: string[],
  count: number,
  length: number,
  rng: Rng,
): string[] {
  const size = vocabulary.length;
  const current = new Int32Array(count);
  const texts: string[][] = [];
  for (let s = 0; s < count; s++) {
    current[s] = rng.int(size);
    texts.push([vocabulary[current[s]]]);
  }
  let state = zeroState(config.model, count);
  const probabilities = new Float64Array(size);
  const order = new Int32Array(size);
  for (let i = 1; i < length; i++) {
    const inputs = tf.tensor2d(current, [1, count], 'int32');
    const result = forwardLogits(context, params, config.model, size, inputs, state);
    inputs.dispose();
    disposeState(state);
    state = result.state;
    const logits = result.logits.dataSync() as Float32Array;
    result.logits.dispose();
    for (let s = 0; s < count; s++) {
      softmaxInto(logits, s * size, size, 1, probabilities);
      current[s] = sampleId(probabilities, size, { temperature: 1, topK: 0, topP: 1 }, rng, order);
      texts[s].push(vocabulary[current[s]]);
    }
  }
  disposeState(state);
  return texts.map((t) => t.join(''));
}

/**
 * The validation pass reads at most this many characters of the validation split (from
 * its start), one stream from a zero state like the tutorial's 1000-character pass. A
 * full pass over a large split is `Generator.evaluate` / the `eval` command.
 */
export const VALIDATION_MAX_CHARS = 10_000;

/** A training run's validation: perplexity and bits/char over (the start of) the corpus's validation split; null when it is shorter than 2 characters. */
export function validationPass(
  context: EngineContext,
  params: Params,
  model: ModelConfig,
  corpus: Corpus,
): { perplexity: number; bitsPerChar: number } | null {
  const [start, end] = corpus.report.splits.validation;
  const length = Math.min(end - start, VALIDATION_MAX_CHARS);
  if (length < 2) return null;
  const ids = corpus.ids.subarray(start, start + length);
  const { meanLoss } = evaluateIds(context, params, model, corpus.report.vocabulary.length, ids);
  return { perplexity: Math.exp(meanLoss), bitsPerChar: meanLoss / Math.LN2 };
}
