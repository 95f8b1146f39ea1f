/**
 * The generator pane's state: options, and one output per temperature (one, or several
 * side by side in compare mode). Text streams in as `generation:chunk` events; the
 * reply's text is authoritative and replaces the streamed text when it arrives.
 */
import type { EngineEvent, EventOf } from '../../src-main/protocol/messages';
import type { GeneratedChar, GenerateOptions } from '../../src-main/protocol/types';
import type { StudioContext } from './context';

/** The temperatures compare mode runs side by side. */
export const COMPARE_TEMPERATURES = [0.2, 0.5, 1.0] as const;

/** One stream of generated text; `chars` (with alternatives) is replaced per chunk, never proxied. */
export class GenerationOutput {
  generationId = $state<string | null>(null);
  text = $state('');
  chars = $state.raw<GeneratedChar[]>([]);
  running = $state(false);
  unknownInPrime = $state.raw<string[]>([]);

  constructor(readonly temperature: number) {}
}

/** Problems with the generator's options, as sentences; [] when they can be used. */
export function generateOptionProblems(options: GenerateOptions): string[] {
  const problems: string[] = [];
  const whole = (value: number, min: number, max: number, what: string): void => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(
        `${what} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`,
      );
  };
  whole(options.length, 1, 100_000, 'Length');
  if (!Number.isFinite(options.temperature) || options.temperature < 0 || options.temperature > 10)
    problems.push('Temperature must be from 0 (greedy) to 10');
  whole(options.topK, 0, 100_000, 'Top-k');
  if (!Number.isFinite(options.topP) || options.topP <= 0 || options.topP > 1)
    problems.push('Top-p must be more than 0 and at most 1');
  whole(options.seed, 0, 2 ** 32 - 1, 'Seed');
  return problems;
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
  private cancelled = false;

  readonly running = $derived(this.outputs.some((output) => output.running));
  readonly options = $derived<GenerateOptions>({
    prime: this.prime,
    length: this.length ?? Number.NaN,
    temperature: this.temperature ?? Number.NaN,
    topK: this.topK ?? Number.NaN,
    topP: this.topP ?? Number.NaN,
    seed: this.seed ?? Number.NaN,
    withAlternatives: true,
  });
  readonly problems = $derived(generateOptionProblems(this.options));

  constructor(private readonly context: StudioContext) {}

  /** Generates once, or once per compare temperature, one after the other (one engine). */
  async generate(): Promise<void> {
    if (this.running || this.problems.length > 0) return;
    const temperatures = this.compare ? [...COMPARE_TEMPERATURES] : [this.options.temperature];
    this.cancelled = false;
    this.outputs = temperatures.map((temperature) => new GenerationOutput(temperature));
    const base = $state.snapshot(this.options);
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
    if (!active?.generationId) return;
    try {
      await this.context.api.generationStop({ generationId: active.generationId });
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
    output.generationId = event.generationId;
    if (output.running) output.text += event.text;
    if (event.chars) output.chars = output.chars.concat(event.chars);
  }
}
