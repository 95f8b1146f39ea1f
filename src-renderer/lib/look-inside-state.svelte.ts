/**
 * The "Look inside" pane's state: which model and text to read, the activations pulled
 * from the engine chunk by chunk (protocol/look-inside/activation-set.ts), the chosen cell
 * and how to colour it, the ranking of cells against features of the text, and the gate
 * saturation per layer. The arrays are replaced, never proxied ($state.raw).
 */
import {
  ACTIVATION_FIELDS,
  bytesPerChar,
  MAX_ACTIVATION_BYTES,
  type ActivationField,
} from '../../src-main/protocol/activations';
import type { FileRef } from '../../src-main/protocol/messages';
import {
  collectActivations,
  type ActivationSet,
} from '../../src-main/protocol/look-inside/activation-set';
import {
  FEATURES,
  compileUserRegex,
  featureValues,
  featureVaries,
  type FeatureId,
} from '../../src-main/protocol/look-inside/features';
import {
  cellActivity,
  gateSaturation,
  scoreCells,
  tanhOf,
  topCells,
  type CellActivity,
  type CellQuantity,
  type CellScore,
  type GateSaturation,
  type ScoreMethod,
} from '../../src-main/protocol/look-inside/ranking';
import type { ColourScale } from './colour-scale';
import type { StudioContext } from './context';

/** The pane's default and largest text lengths (the engine's memory limit may bind first). */
export const DEFAULT_CHARS = 5000;
export const MAX_PANE_CHARS = 100_000;
/** Cells listed per feature. */
export const TOP_PER_FEATURE = 5;
/** A cell whose best |r| over every feature is below this follows none of them. */
export const NO_FEATURE_BELOW = 0.3;
/** Listed as saturated when |tanh c| > 0.9 on at least half the text; as very active when mean |h| ≥ 0.5. */
export const QUIET_SATURATED = 0.5;
export const QUIET_ACTIVE = 0.5;

export interface FeatureRanking {
  id: FeatureId;
  label: string;
  /** Empty when the text gives the feature one value throughout. */
  cells: CellScore[];
  varies: boolean;
}

export interface SelectedCell {
  layer: number;
  cell: number;
}

/** "1:87", "L1 87", "layer 1 cell 87" or "87" (in the current layer) → a cell, or null. */
export function parseCellQuery(
  query: string,
  layers: readonly number[],
  currentLayer: number,
): SelectedCell | null {
  const numbers = query.match(/\d+/g)?.map(Number) ?? [];
  const [layer, cell] = numbers.length >= 2 ? numbers : [currentLayer, numbers[0]];
  if (cell === undefined || layer >= layers.length || cell >= layers[layer]) return null;
  return { layer, cell };
}

export class LookInsideState {
  modelSource = $state<'current' | 'file'>('current');
  modelFile = $state.raw<{ ref: FileRef; name: string } | null>(null);
  textSource = $state<'validation' | 'text'>('validation');
  chars = $state<number | null>(DEFAULT_CHARS);
  text = $state('');

  computing = $state(false);
  /** Characters received of the current request. */
  received = $state(0);
  set = $state.raw<ActivationSet | null>(null);

  layer = $state(0);
  cell = $state(0);
  quantity = $state<CellQuantity>('tanh-c');
  view = $state<'cell' | 'surprise'>('cell');

  method = $state<ScoreMethod>('correlation');
  rankBy = $state<CellQuantity>('c');
  regex = $state('');
  regexError = $state<string | null>(null);
  rankings = $state.raw<FeatureRanking[]>([]);
  quiet = $state.raw<{ saturated: CellActivity[]; active: CellActivity[] }>({
    saturated: [],
    active: [],
  });

  private cancelled = false;

  constructor(private readonly context: StudioContext) {}

  /** Problems with the request as set up, as sentences; [] when it can be computed. */
  readonly problems = $derived.by(() => {
    const problems: string[] = [];
    if (this.modelSource === 'file' && !this.modelFile) problems.push('Choose a model file');
    if (this.textSource === 'validation') {
      const chars = this.chars ?? Number.NaN;
      if (!Number.isInteger(chars) || chars < 1 || chars > MAX_PANE_CHARS)
        problems.push(
          `Characters must be a whole number from 1 to ${MAX_PANE_CHARS.toLocaleString('en-US')}`,
        );
    } else if (this.text.length === 0) problems.push('Paste or load a text to read');
    else if ([...this.text].length > MAX_PANE_CHARS)
      problems.push(`The text is over ${MAX_PANE_CHARS.toLocaleString('en-US')} characters`);
    return problems;
  });

  readonly total = $derived(this.set?.chars.length ?? 0);
  readonly layers = $derived(this.set?.header.model.layers ?? []);

  /** The chosen cell's values, one per character, in the chosen quantity. */
  readonly values = $derived.by((): Float32Array | null => {
    const set = this.set;
    if (!set || this.layer >= set.header.model.layers.length) return null;
    const units = set.header.model.layers[this.layer];
    const field: ActivationField = this.quantity === 'tanh-c' ? 'c' : this.quantity;
    const all = set.layers[this.layer][field];
    if (!all || this.cell >= units) return null;
    const out = new Float32Array(set.chars.length);
    for (let t = 0; t < out.length; t++) {
      const v = all[t * units + this.cell];
      out[t] = this.quantity === 'tanh-c' ? Math.tanh(v) : v;
    }
    return out;
  });

  /** The colour scale for the chosen quantity: ±1 for tanh c and h, 0–1 for gates, ±max|c| for c. */
  readonly scale = $derived.by((): ColourScale => {
    if (this.quantity === 'i' || this.quantity === 'f' || this.quantity === 'o')
      return { min: 0, max: 1, diverging: true };
    if (this.quantity !== 'c') return { min: -1, max: 1, diverging: true };
    let largest = 0;
    for (const v of this.values ?? []) largest = Math.max(largest, Math.abs(v));
    const bound = largest > 0 ? Number(largest.toPrecision(2)) : 1;
    return { min: -bound, max: bound, diverging: true };
  });

  /**
   * Surprise for colouring: character t + 1 gets the bits of predicting it after t (the
   * first character has none).
   */
  readonly surprise = $derived.by((): Float32Array | null => {
    const set = this.set;
    if (!set) return null;
    const out = new Float32Array(set.chars.length).fill(Number.NaN);
    out.set(set.bits.subarray(0, set.chars.length - 1), 1);
    return out;
  });

  /** The places the model found hardest: character index (the surprising one), bits, in order. */
  readonly worst = $derived.by(() => {
    const surprise = this.surprise;
    if (!surprise) return [];
    const order = Array.from(surprise.keys()).filter((t) => !Number.isNaN(surprise[t]));
    order.sort((a, b) => surprise[b] - surprise[a]);
    return order.slice(0, 12).map((t) => ({ index: t, bits: surprise[t] }));
  });

  /** Per layer: forget, input and output gate saturation of every cell. */
  readonly saturation = $derived.by(() => {
    const set = this.set;
    if (!set) return [];
    return set.header.model.layers.map((units, l) => {
      const gates: Partial<Record<'i' | 'f' | 'o', GateSaturation>> = {};
      for (const gate of ['i', 'f', 'o'] as const) {
        const values = set.layers[l][gate];
        if (values) gates[gate] = gateSaturation(values, units);
      }
      return gates;
    });
  });

  /** Bytes the request would take, when its length is known here (the engine has the last word). */
  estimateBytes(layers: readonly number[]): number {
    const chars = this.textSource === 'text' ? [...this.text].length : (this.chars ?? 0);
    return chars * bytesPerChar(layers, ACTIVATION_FIELDS.length);
  }

  readonly limitBytes = MAX_ACTIVATION_BYTES;

  /** Reads the text through the model; a request already running is cancelled first. */
  async compute(): Promise<void> {
    if (this.problems.length > 0) return;
    if (this.computing) await this.cancel();
    this.cancelled = false;
    this.computing = true;
    this.received = 0;
    try {
      const set = await collectActivations(
        this.context.api,
        {
          model:
            this.modelSource === 'file' && this.modelFile
              ? { kind: 'file', file: this.modelFile.ref }
              : { kind: 'current' },
          text:
            this.textSource === 'text'
              ? { kind: 'text', text: this.text }
              : { kind: 'validation', chars: this.chars ?? DEFAULT_CHARS },
        },
        {
          onStart: (started) => (this.received = started.received),
          onChunk: (progress) => (this.received = progress.received),
          cancelled: () => this.cancelled,
        },
      );
      if (!set) return;
      this.set = set;
      const layers = set.header.model.layers;
      if (this.layer >= layers.length || this.cell >= layers[this.layer]) {
        this.layer = 0;
        this.cell = 0;
      }
      this.rank();
    } catch (error) {
      this.context.report(error, 'Looking inside');
    } finally {
      this.computing = false;
    }
  }

  /** Stops pulling; the engine job is cancelled before the next chunk. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    while (this.computing) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Ranks every cell against every feature, and lists the quiet ones (see NO_FEATURE_BELOW). */
  rank(): void {
    const set = this.set;
    if (!set) return;
    let pattern: RegExp | undefined;
    this.regexError = null;
    if (this.regex.trim() !== '') {
      try {
        pattern = compileUserRegex(this.regex);
      } catch (error) {
        this.regexError = (error as Error).message;
      }
    }
    const field: ActivationField = this.rankBy === 'tanh-c' ? 'c' : this.rankBy;
    if (!set.header.fields.includes(field)) return;
    const layers = set.header.model.layers.map((units, l) => {
      const values = set.layers[l][field]!;
      return { units, values: this.rankBy === 'tanh-c' ? tanhOf(values) : values };
    });
    // The best |r| of each cell over every feature, by layer.
    const best = set.header.model.layers.map((units) => new Float64Array(units));
    const rankings: FeatureRanking[] = [];
    for (const info of FEATURES) {
      if (info.id === 'regex' && !pattern) continue;
      const feature = featureValues(info.id, set.chars, pattern);
      const varies = featureVaries(feature);
      const scores = varies ? scoreCells(layers, feature, info.kind, this.method) : [];
      for (const score of scores) {
        const row = best[score.layer];
        row[score.cell] = Math.max(row[score.cell], Math.abs(score.correlation));
      }
      rankings.push({
        id: info.id,
        label: info.label,
        varies,
        cells: topCells(scores, TOP_PER_FEATURE),
      });
    }
    this.rankings = rankings;
    const c = set.layers.map((layer) => layer.c);
    const h = set.layers.map((layer) => layer.h);
    if (c.every(Boolean) && h.every(Boolean)) {
      const activity = cellActivity(
        set.header.model.layers.map((units, l) => ({ units, c: c[l]!, h: h[l]! })),
      ).filter((cell) => best[cell.layer][cell.cell] < NO_FEATURE_BELOW);
      this.quiet = {
        saturated: activity
          .filter((cell) => cell.saturated >= QUIET_SATURATED)
          .sort((a, b) => b.saturated - a.saturated)
          .slice(0, 5),
        active: activity
          .filter((cell) => cell.meanAbsH >= QUIET_ACTIVE)
          .sort((a, b) => b.meanAbsH - a.meanAbsH)
          .slice(0, 5),
      };
    }
  }

  /** Desktop: a native dialog for a model file; false when there is none (the browser), so a file control is used. */
  async chooseModelWithDialog(): Promise<boolean> {
    const ref = await this.context.shell.chooseOpenPath('model');
    if (!ref) return false;
    this.modelFile = { ref, name: ref.path.split(/[\\/]/).pop() ?? ref.path };
    this.modelSource = 'file';
    return true;
  }

  /** A model file picked with the file control (uploaded first in the browser). */
  async useModelFile(file: File): Promise<void> {
    try {
      this.modelFile = { ref: await this.context.shell.fileRef(file), name: file.name };
      this.modelSource = 'file';
    } catch (error) {
      this.context.report(error, `Opening ${file.name}`);
    }
  }

  select(layer: number, cell: number): void {
    const layers = this.layers;
    if (layer < 0 || layer >= layers.length) return;
    this.layer = layer;
    this.cell = Math.max(0, Math.min(cell, layers[layer] - 1));
    this.view = 'cell';
  }

  /** Arrow keys: the next or previous cell (wrapping into the next layer), or layer. */
  moveCell(delta: number): void {
    const layers = this.layers;
    if (layers.length === 0) return;
    let { layer, cell } = this;
    cell += delta;
    if (cell >= layers[layer]) {
      layer = (layer + 1) % layers.length;
      cell = 0;
    } else if (cell < 0) {
      layer = (layer - 1 + layers.length) % layers.length;
      cell = layers[layer] - 1;
    }
    this.select(layer, cell);
  }

  moveLayer(delta: number): void {
    const layers = this.layers;
    if (layers.length === 0) return;
    this.select((this.layer + delta + layers.length) % layers.length, this.cell);
  }

  /** Goes to a typed cell ("1:87"); false when there is no such cell. */
  goTo(query: string): boolean {
    const target = parseCellQuery(query, this.layers, this.layer);
    if (!target) return false;
    this.select(target.layer, target.cell);
    return true;
  }
}
