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
import { readableMessage } from './errors';

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

const REREAD_DELAY_MS = 400;

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
  /**
   * The last failure of opening or re-reading a corpus, as one line. It is shown (and
   * announced) in the corpus pane only, never also in the window's alerts.
   */
  error = $state<string | null>(null);
  /** The options the open corpus was read with (the form's options differ → read again). */
  private readWith = $state<string | null>(null);
  /** The options of the last re-read attempt, so a failing one is not retried in a loop. */
  private attempted: string | null = null;
  private rereadTimer: ReturnType<typeof setTimeout> | null = null;

  readonly validation = $derived(
    splitSize(this.validationKind, this.validationValue, 'The validation split'),
  );
  readonly test = $derived(
    this.testEnabled ? splitSize(this.testKind, this.testValue, 'The test split') : undefined,
  );
  readonly limits = $derived(vocabularyLimits(this.minFrequency, this.maxVocabulary));
  /** Each option's problem, by field (what the pane marks with aria-invalid). */
  readonly fieldProblems = $derived({
    validation: problemOf(this.validation),
    test: problemOf(this.test),
    minFrequency: problemOf(vocabularyLimits(this.minFrequency, null)),
    maxVocabulary: problemOf(vocabularyLimits(null, this.maxVocabulary)),
  });
  /** Why the options cannot be used, or null. */
  readonly optionsProblem = $derived(
    Object.values(this.fieldProblems).find((problem) => problem !== null) ?? null,
  );
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
  /**
   * The open corpus was read with other options than the form now shows: it is read again
   * (`scheduleReread`), and until then training would not use what the form shows.
   */
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
    await this.read('Opening the corpus', async (options) => {
      const ref = await this.context.shell.fileRef(file);
      return this.context.api.corpusOpen({ file: ref, options });
    });
  }

  /** Opens a path the engine can read (desktop dialogs, a folder uploaded in browser mode). */
  async openRef(ref: FileRef): Promise<void> {
    await this.read('Opening the corpus', (options) =>
      this.context.api.corpusOpen({ file: ref, options }),
    );
  }

  /** Browser mode: uploads the files of a folder the user picked, then opens the folder. */
  async openFolder(files: File[]): Promise<void> {
    await this.read('Opening the folder', async (options) => {
      const ref = await this.context.shell.folderRef(files);
      return this.context.api.corpusOpen({ file: ref, options });
    });
  }

  /** Opens the bundled sample corpus. */
  async openSample(): Promise<void> {
    await this.read('Opening the sample corpus', (options) =>
      this.context.api.corpusOpenSample({ options }),
    );
  }

  /** Reads the open corpus again, from where the engine read it, with the options now shown. */
  async reread(): Promise<void> {
    this.cancelReread();
    if (!this.report || this.loading) return;
    this.attempted = JSON.stringify(this.options);
    await this.read('Reading the corpus again', (options) =>
      this.context.api.corpusReread({ options }),
    );
  }

  /**
   * Re-reads once the options stop changing (typing a number changes them per keystroke).
   * Options that already failed are not tried again until they change.
   */
  scheduleReread(delayMs = REREAD_DELAY_MS): void {
    if (!this.optionsChanged || JSON.stringify(this.options) === this.attempted) return;
    this.cancelReread();
    this.rereadTimer = setTimeout(() => void this.reread(), delayMs);
  }

  private cancelReread(): void {
    if (this.rereadTimer !== null) clearTimeout(this.rereadTimer);
    this.rereadTimer = null;
  }

  /** Shows a corpus the engine already has open (a window that reconnects), with its options. */
  adopt(report: CorpusReport, options: CorpusOptions): void {
    this.normalisation = options.normalisation;
    [this.validationKind, this.validationValue] = splitFields(options.validation);
    this.testEnabled = options.test !== undefined;
    if (options.test) [this.testKind, this.testValue] = splitFields(options.test);
    this.minFrequency = options.minFrequency ?? null;
    this.maxVocabulary = options.maxVocabulary ?? null;
    this.report = report;
    this.error = null;
    this.readWith = JSON.stringify(this.options);
    this.onOpened(report);
  }

  handleProgress(bytesRead: number, totalBytes: number): void {
    if (this.loading) this.progress = { bytesRead, totalBytes };
  }

  private async read(
    what: string,
    request: (options: CorpusOptions) => Promise<CorpusReport>,
  ): Promise<void> {
    // Invalid options are shown at their fields, and the open controls are disabled then.
    const options = this.options;
    if (!options || this.loading) return;
    this.cancelReread();
    this.loading = true;
    this.error = null;
    this.progress = null;
    try {
      const report = await request(options);
      this.report = report;
      this.readWith = JSON.stringify(options);
      this.onOpened(report);
    } catch (error) {
      this.error = `${what} failed: ${readableMessage(error)}`;
    } finally {
      this.loading = false;
      this.progress = null;
    }
  }
}

function problemOf(value: object | string | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/** A protocol SplitSize → the form's kind and value. */
function splitFields(size: SplitSize): [SplitKind, number] {
  return 'fraction' in size ? ['fraction', size.fraction] : ['chars', size.chars];
}
