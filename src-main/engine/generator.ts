/**
 * Generator: text from a trained model, one character per step through the same fused
 * kernel (a sequence of length 1), with everything prepared once: parameters are loaded
 * once, the per-step kernels are OneHot/Gather → BlockLSTM per layer (+ 2 Reshapes for
 * the state) → MatMul → BiasAdd, and the logits come to the host for sampling.
 * A prime is run through the kernels in one call per layer.
 */
import { Vocabulary } from '../corpus/vocabulary';
import type { TrainingSnapshot } from '../model/snapshot';
import type { GenerateOptions, GeneratedChar, RunConfig } from '../protocol/types';
import {
  createContext,
  disposeContext,
  disposeParams,
  disposeState,
  evaluateIds,
  forwardLogits,
  type EngineContext,
  type LayerState,
  type Params,
} from './model';
import { Rng } from './rng';
import { sampleId, softmaxInto } from './sampling';
import { paramsFromSnapshot } from './training-session';
import type { Tensor } from '@tensorflow/tfjs-node';
import type { FusedLstm } from './kernels/fused-lstm';
import type { Ops } from './kernels/ops';
import { tf, type OpAttr, type TfBinding } from './tf';

/** Characters per streaming chunk (and between yields to the event loop). */
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
    const stepper =
      this.context.lstm.kind === 'fused'
        ? new Stepper(
            this.context.ops,
            (this.context.lstm as FusedLstm).names.forward,
            this.config.model,
            size,
            this.params,
            start,
          )
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
 * One character at a time on bare native handles: the input row of each symbol is made
 * once ([1, 1, I]: a one-hot row or the embedding row), then per character the fused forward kernel per
 * layer (T = 1) with two Reshapes for the state, MatMul, BiasAdd, and one read of the
 * [1, V] logits. No tfjs Tensor objects are made per character.
 */
class Stepper {
  private readonly ops: Ops;
  private readonly binding: TfBinding;
  private readonly config: RunConfig['model'];
  private readonly size: number;
  /** The fused forward kernel's op name (see kernels/fused-lstm.ts). */
  private readonly forwardKernel: string;
  private readonly params: Params;
  private readonly inputs = new Map<number, number>();
  private bias: Float32Array | null = null;
  private readonly attrs: Record<string, OpAttr[]>;
  private state: { c: number; h: number }[];
  /** The tfjs tensors the starting state's handles belong to, until the first step replaces them. */
  private initial: LayerState[] | null;

  constructor(
    ops: Ops,
    forwardKernel: string,
    config: RunConfig['model'],
    size: number,
    params: Params,
    state: LayerState[],
  ) {
    this.ops = ops;
    this.forwardKernel = forwardKernel;
    this.binding = ops.backend.binding;
    this.config = config;
    this.size = size;
    this.params = params;
    const b = this.binding;
    const T = ops.attrFloat;
    this.attrs = {
      T: [T],
      MatMul: [
        { name: 'transpose_a', type: b.TF_ATTR_BOOL, value: false },
        { name: 'transpose_b', type: b.TF_ATTR_BOOL, value: false },
        T,
      ],
      Reshape: [T, { name: 'Tshape', type: b.TF_ATTR_TYPE, value: b.TF_INT32 }],
      BlockLSTM: [
        { name: 'forget_bias', type: b.TF_ATTR_FLOAT, value: 0 },
        { name: 'cell_clip', type: b.TF_ATTR_FLOAT, value: -1 },
        { name: 'use_peephole', type: b.TF_ATTR_BOOL, value: false },
        T,
      ],
    };
    // Takes over the starting state (disposed by the first step or by dispose()).
    this.initial = state;
    this.state = state.map((s) => ({ c: this.id(s.c), h: this.id(s.h) }));
  }

  private id(t: Tensor): number {
    return this.ops.backend.getInputTensorIds([t])[0];
  }

  private exec(name: string, attrs: OpAttr[], inputs: number[]): number {
    return this.binding.executeOp(name, attrs, inputs, 1)[0].id;
  }

  private input(symbol: number): number {
    let handle = this.inputs.get(symbol);
    if (handle === undefined) {
      if (this.config.input === 'one-hot') {
        const row = new Float32Array(this.size);
        row[symbol] = 1;
        handle = this.binding.createTensor([1, 1, this.size], this.binding.TF_FLOAT, row);
      } else {
        const width = this.config.embeddingSize;
        const row = this.params.embedding
          .dataSync()
          .slice(symbol * width, (symbol + 1) * width) as Float32Array;
        handle = this.binding.createTensor([1, 1, width], this.binding.TF_FLOAT, row);
      }
      this.inputs.set(symbol, handle);
    }
    return handle;
  }

  /** Feeds `symbol`; returns the logits [V] for the next one. */
  step(symbol: number): Float32Array {
    const ops = this.ops;
    const seqLen = ops.int64(1);
    // x is [1, 1, I]: the symbol's row for the bottom layer, the h sequence output above.
    let x = this.input(symbol);
    let xOwned = false;
    const next: { c: number; h: number }[] = [];
    this.config.layers.forEach((units, l) => {
      const zeros = this.id(ops.zeros([units]));
      const shape = this.id(ops.int32Vector([1, units]));
      const out = this.binding
        .executeOp(
          this.forwardKernel,
          this.attrs.BlockLSTM,
          [
            seqLen,
            x,
            this.state[l].c,
            this.state[l].h,
            this.id(this.params[`lstm/${l}/kernel`]),
            zeros,
            zeros,
            zeros,
            this.id(this.params[`lstm/${l}/bias`]),
          ],
          7,
        )
        .map((m) => m.id);
      if (xOwned) this.binding.deleteTensor(x);
      const c = this.exec('Reshape', this.attrs.Reshape, [out[1], shape]);
      const h = this.exec('Reshape', this.attrs.Reshape, [out[6], shape]);
      for (let k = 0; k < 6; k++) this.binding.deleteTensor(out[k]);
      next.push({ c, h });
      x = out[6];
      xOwned = true;
    });
    this.binding.deleteTensor(x);
    this.releaseState();
    this.state = next;
    const top = next[next.length - 1].h;
    const product = this.exec('MatMul', this.attrs.MatMul, [
      top,
      this.id(this.params['softmax/kernel']),
    ]);
    const values = (
      this.binding as unknown as { tensorDataSync(id: number): Float32Array }
    ).tensorDataSync(product);
    this.binding.deleteTensor(product);
    // The bias is added on the host: V additions are cheaper than one more kernel.
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
        this.binding.deleteTensor(s.c);
        this.binding.deleteTensor(s.h);
      }
    }
    this.state = [];
  }

  dispose(): void {
    this.releaseState();
    for (const handle of this.inputs.values()) this.binding.deleteTensor(handle);
    this.inputs.clear();
  }
}
