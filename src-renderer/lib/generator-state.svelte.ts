/**
 * The generator pane's state: options, and one output per temperature (one, or several
 * side by side in compare mode). Text streams in as `generation:chunk` events; the
 * reply's text is authoritative and replaces the streamed text when it arrives.
 */
import type { EngineEvent, EventOf } from '../../src-main/protocol/messages';
import type { GeneratedChar, GenerateOptions } from '../../src-main/protocol/types';
import type { StudioContext } from './context';
import { formatInteger } from './format';
import { unknownPrimeCharacters, type ModelVocabulary } from './prime-check';

/**
 * Up to this many characters, an output shows what the model weighed at each character
 * (one element per character); longer ones are plain text, and are generated without the
 * alternatives, which would only slow their stream.
 */
export const MAX_INSPECTABLE = 5000;

/** The temperatures compare mode runs side by side. */
export const COMPARE_TEMPERATURES = [0.2, 0.5, 1.0] as const;

/**
 * One stream of generated text; `chars` (with alternatives) is replaced per chunk, never
 * proxied. `prime` is the text it continues: part of what is shown, copied and saved.
 */
export class GenerationOutput {
  generationId = $state<string | null>(null);
  text = $state('');
  chars = $state.raw<GeneratedChar[]>([]);
  running = $state(false);
  /** The user stopped it before it reached `length` characters. */
  stopped = $state(false);
  unknownInPrime = $state.raw<string[]>([]);

  /** The prime followed by the generated text: what Copy and Save take. */
  readonly fullText = $derived.by(() => this.prime + this.text);
  /** "120 / 300 characters" while it runs, then "300 characters" or "Stopped at 120 characters". */
  readonly countText = $derived.by(() => {
    const length = [...this.text].length;
    const count = formatInteger(length);
    if (this.running) return `${count} / ${formatInteger(this.length)} characters`;
    return this.stopped && length < this.length
      ? `Stopped at ${count} characters`
      : `${count} characters`;
  });

  /** `length`: the characters asked for. */
  constructor(
    readonly temperature: number,
    readonly prime = '',
    readonly length = 0,
  ) {}
}

export type GeneratorField = 'length' | 'temperature' | 'topK' | 'topP' | 'seed';

/** Each generator option's problem, by field (what aria-invalid marks); {} when all can be used. */
export function generateFieldProblems(
  options: GenerateOptions,
): Partial<Record<GeneratorField, string>> {
  const problems: Partial<Record<GeneratorField, string>> = {};
  const whole = (field: GeneratorField, min: number, max: number, what: string): void => {
    const value = options[field];
    if (!Number.isInteger(value) || value < min || value > max)
      problems[field] =
        `${what} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
  };
  whole('length', 1, 100_000, 'Length');
  if (!Number.isFinite(options.temperature) || options.temperature < 0 || options.temperature > 10)
    problems.temperature = 'Temperature must be from 0 (greedy) to 10';
  whole('topK', 0, 100_000, 'Top-k');
  if (!Number.isFinite(options.topP) || options.topP <= 0 || options.topP > 1)
    problems.topP = 'Top-p must be more than 0 and at most 1';
  whole('seed', 0, 2 ** 32 - 1, 'Seed');
  return problems;
}

/** Problems with the generator's options, as sentences; [] when they can be used. */
export function generateOptionProblems(options: GenerateOptions): string[] {
  return Object.values(generateFieldProblems(options));
}

export class GeneratorState {
  prime = $state('');
  length = $state<number | null>(300);
  temperature = $state<number | null>(0.5);
  topK = $state<number | null>(0);
  topP = $state<number | null>(1);
  seed = $state<number | null>(1);
  compare = $state(false);
  outputs = $state.raw<GenerationOutput[]>([]);
  /** The vocabulary of the model generation would use, when known (to flag the prime). */
  vocabulary = $state.raw<ModelVocabulary | null>(null);
  private cancelled = false;

  readonly running = $derived(this.outputs.some((output) => output.running));
  readonly options = $derived<GenerateOptions>({
    prime: this.prime,
    length: this.length ?? Number.NaN,
    temperature: this.temperature ?? Number.NaN,
    topK: this.topK ?? Number.NaN,
    topP: this.topP ?? Number.NaN,
    seed: this.seed ?? Number.NaN,
    withAlternatives: (this.length ?? 0) <= MAX_INSPECTABLE,
  });
  readonly fieldProblems = $derived(generateFieldProblems(this.options));
  readonly problems = $derived(Object.values(this.fieldProblems));
  /** Characters of the prime the model does not know (flagged at the field; not a blocker). */
  readonly unknownInPrime = $derived(
    this.vocabulary ? unknownPrimeCharacters(this.prime, this.vocabulary) : [],
  );

  constructor(private readonly context: StudioContext) {}

  /** Generates once, or once per compare temperature, one after the other (one engine). */
  async generate(): Promise<void> {
    if (this.running || this.problems.length > 0) return;
    const temperatures = this.compare ? [...COMPARE_TEMPERATURES] : [this.options.temperature];
    this.cancelled = false;
    const base = $state.snapshot(this.options);
    this.outputs = temperatures.map(
      (temperature) => new GenerationOutput(temperature, base.prime, base.length),
    );
    for (let index = 0; index < temperatures.length && !this.cancelled; index++) {
      const output = this.outputs[index]!;
      output.running = true;
      try {
        const reply = await this.context.api.generationStart({
          options: { ...base, temperature: temperatures[index]! },
        });
        output.generationId = reply.generationId;
        output.text = reply.text;
        output.unknownInPrime = reply.unknownInPrime;
      } catch (error) {
        this.context.report(error, 'Generating');
        this.cancelled = true;
      } finally {
        output.running = false;
      }
    }
  }

  /** Stops the generation that is streaming and skips the ones still waiting. */
  async stop(): Promise<void> {
    this.cancelled = true;
    const active = this.outputs.find((output) => output.running);
    // The one streaming and the ones still waiting (compare mode) end short of their length.
    for (const output of this.outputs)
      if (output.running || !output.generationId) output.stopped = true;
    // Before its first chunk the engine's id is not known yet: the chunk sends the stop.
    if (active?.generationId) await this.sendStop(active.generationId);
  }

  private async sendStop(generationId: string): Promise<void> {
    try {
      await this.context.api.generationStop({ generationId });
    } catch (error) {
      this.context.report(error, 'Stopping generation');
    }
  }

  /** Appends a streamed chunk to the output that is running (its id arrives with the first chunk). */
  handleEvent(event: EngineEvent): void {
    if (event.type !== 'generation:chunk') return;
    this.onChunk(event);
  }

  private onChunk(event: EventOf<'generation:chunk'>): void {
    // Chunks are batched by the host and may arrive after the reply: then they still carry
    // the alternatives of characters the reply's text already holds.
    const output =
      this.outputs.find((candidate) => candidate.generationId === event.generationId) ??
      this.outputs.find((candidate) => candidate.running && candidate.generationId === null);
    if (!output) return;
    if (output.generationId === null) {
      output.generationId = event.generationId;
      if (output.running && output.stopped) void this.sendStop(event.generationId);
    }
    if (output.running) output.text += event.text;
    if (event.chars) output.chars = output.chars.concat(event.chars);
  }
}
