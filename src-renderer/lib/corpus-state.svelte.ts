/**
 * The corpus pane's state: the options a corpus is read with, the reading progress, and
 * the report of what was read.
 */
import type { FileRef } from '../../src-main/protocol/messages';
import type {
  CorpusOptions,
  CorpusReport,
  Normalisation,
  SplitSize,
} from '../../src-main/protocol/types';
import type { StudioContext } from './context';

export type SplitKind = 'fraction' | 'chars';

/** The `count` most frequent symbols of a report, most frequent first. */
export function topSymbols(
  report: CorpusReport | null,
  count: number,
): { symbol: string; count: number }[] {
  if (!report) return [];
  return report.vocabulary
    .map((symbol, id) => ({ symbol, count: report.frequencies[id] ?? 0 }))
    .sort((a, b) => b.count - a.count || (a.symbol < b.symbol ? -1 : 1))
    .slice(0, count);
}

/** A split as the form holds it → the protocol's SplitSize, or a problem to show. */
export function splitSize(kind: SplitKind, value: number | null, what: string): SplitSize | string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${what} must be a number`;
  if (kind === 'fraction') {
    if (value <= 0 || value >= 0.5)
      return `${what} must be more than 0 and less than 0.5 of the text`;
    return { fraction: value };
  }
  if (!Number.isInteger(value) || value < 1)
    return `${what} must be a whole number of characters, at least 1`;
  return { chars: value };
}

/**
 * The vocabulary limits as the engine takes them (protocol CorpusOptions): symbols seen
 * fewer than `minFrequency` times, and all but the `maxVocabulary` − 1 most frequent when
 * there are more, become the unknown symbol. Empty fields mean no limit.
 */
export function vocabularyLimits(
  minFrequency: number | null,
  maxVocabulary: number | null,
): { minFrequency?: number; maxVocabulary?: number } | string {
  const limits: { minFrequency?: number; maxVocabulary?: number } = {};
  if (minFrequency !== null) {
    if (!Number.isInteger(minFrequency) || minFrequency < 1 || minFrequency > 1e9)
      return 'The minimum count must be a whole number from 1 to 1,000,000,000';
    if (minFrequency > 1) limits.minFrequency = minFrequency;
  }
  if (maxVocabulary !== null) {
    if (!Number.isInteger(maxVocabulary) || maxVocabulary < 2 || maxVocabulary > 1_114_112)
      return 'The vocabulary size must be a whole number from 2 to 1,114,112 symbols';
    limits.maxVocabulary = maxVocabulary;
  }
  return limits;
}

type Source = { kind: 'file'; ref: FileRef; name: string } | { kind: 'sample' };

export class CorpusState {
  normalisation = $state<Normalisation>('keep');
  validationKind = $state<SplitKind>('fraction');
  validationValue = $state<number | null>(0.05);
  testEnabled = $state(false);
  testKind = $state<SplitKind>('fraction');
  testValue = $state<number | null>(0.05);
  /** Symbols seen fewer times become the unknown symbol (null or 1: keep every symbol). */
  minFrequency = $state<number | null>(null);
  /** At most this many symbols, the unknown one included (null: no limit). */
  maxVocabulary = $state<number | null>(null);
  loading = $state(false);
  /** Bytes read so far while a corpus is being read. */
  progress = $state.raw<{ bytesRead: number; totalBytes: number } | null>(null);
  report = $state.raw<CorpusReport | null>(null);
  /** The last failure of opening a corpus, as one line. */
  error = $state<string | null>(null);
  /** The options the open corpus was read with (to offer re-reading when they change). */
  private readWith = $state<string | null>(null);
  private source: Source | null = null;

  readonly validation = $derived(
    splitSize(this.validationKind, this.validationValue, 'The validation split'),
  );
  readonly test = $derived(
    this.testEnabled ? splitSize(this.testKind, this.testValue, 'The test split') : undefined,
  );
  readonly limits = $derived(vocabularyLimits(this.minFrequency, this.maxVocabulary));
  /** Why the options cannot be used, or null. */
  readonly optionsProblem = $derived.by(() => {
    if (typeof this.validation === 'string') return this.validation;
    if (typeof this.test === 'string') return this.test;
    if (typeof this.limits === 'string') return this.limits;
    return null;
  });
  readonly options = $derived.by((): CorpusOptions | null => {
    if (
      typeof this.validation === 'string' ||
      typeof this.test === 'string' ||
      typeof this.limits === 'string'
    )
      return null;
    const options: CorpusOptions = {
      normalisation: this.normalisation,
      validation: this.validation,
      ...this.limits,
    };
    if (this.test) options.test = this.test;
    return options;
  });
  /** The open corpus was read with other options than the form now shows. */
  readonly optionsChanged = $derived(
    this.report !== null && this.options !== null && JSON.stringify(this.options) !== this.readWith,
  );
  readonly progressFraction = $derived(
    this.progress && this.progress.totalBytes > 0
      ? Math.min(1, this.progress.bytesRead / this.progress.totalBytes)
      : null,
  );
  readonly usedFiles = $derived(this.report?.files.filter((file) => file.used) ?? []);
  readonly skippedFiles = $derived(this.report?.files.filter((file) => !file.used) ?? []);
  /** Characters in the training range (what one batch must fit in). */
  readonly trainChars = $derived(
    this.report ? this.report.splits.train[1] - this.report.splits.train[0] : 0,
  );

  constructor(
    private readonly context: StudioContext,
    private readonly onOpened: (report: CorpusReport) => void,
  ) {}

  /** Opens a file the user picked or dropped. */
  async open(file: File): Promise<void> {
    await this.read(async () => {
      const ref = await this.context.shell.fileRef(file);
      this.source = { kind: 'file', ref, name: file.name };
      return ref;
    });
  }

  /** Opens a path the engine can read (desktop dialogs). */
  async openRef(ref: FileRef, name: string): Promise<void> {
    this.source = { kind: 'file', ref, name };
    await this.read(async () => ref);
  }

  /** Opens the bundled sample corpus. */
  async openSample(): Promise<void> {
    this.source = { kind: 'sample' };
    await this.read(async () => null);
  }

  /** Reads the open corpus again with the options the form now shows. */
  async reread(): Promise<void> {
    const source = this.source;
    if (!source) return;
    if (source.kind === 'sample') await this.openSample();
    else await this.openRef(source.ref, source.name);
  }

  handleProgress(bytesRead: number, totalBytes: number): void {
    if (this.loading) this.progress = { bytesRead, totalBytes };
  }

  private async read(resolve: () => Promise<FileRef | null>): Promise<void> {
    const options = this.options;
    if (!options) {
      this.error = this.optionsProblem;
      return;
    }
    this.loading = true;
    this.error = null;
    this.progress = null;
    try {
      const ref = await resolve();
      const report = ref
        ? await this.context.api.corpusOpen({ file: ref, options })
        : await this.context.api.corpusOpenSample({ options });
      this.report = report;
      this.readWith = JSON.stringify(options);
      this.onOpened(report);
    } catch (error) {
      this.error = this.context.report(error, 'Opening the corpus');
    } finally {
      this.loading = false;
      this.progress = null;
    }
  }
}
