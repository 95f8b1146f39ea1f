/**
 * What `activations` and `cells` share: a model file and a text file (or folder, or zip)
 * → every activation, computed in-process by the engine's own activation jobs (the same
 * code the window's "Look inside" pane pulls from), under the same memory limit.
 */
import path from 'node:path';
import { UsageError } from '../errors';
import { ACTIVATION_FIELDS, type ActivationField } from '../protocol/activations';
import { collectActivations, type ActivationSet } from '../protocol/look-inside/activation-set';
import { integerOption } from './parse-options';
import { unknownSymbolsNote } from './unknown-note';

export interface ActivationInputOptions {
  chars?: string;
  fields?: string;
}

/** `--fields c,h,f` → the fields, in their canonical order; all when omitted. */
export function parseFields(value: string | undefined): ActivationField[] {
  if (value === undefined) return [...ACTIVATION_FIELDS];
  const named = value
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean);
  const unknown = named.filter(
    (field) => !(ACTIVATION_FIELDS as readonly string[]).includes(field),
  );
  if (unknown.length > 0 || named.length === 0) {
    throw new UsageError(
      'cli/bad-option',
      `--fields takes a comma-separated list of ${ACTIVATION_FIELDS.join(', ')}${unknown.length > 0 ? ` (not ${unknown.join(', ')})` : ''}`,
    );
  }
  return ACTIVATION_FIELDS.filter((field) => named.includes(field));
}

/**
 * Reads the model and the first `--chars` characters of the text (all of it by default),
 * and computes the activations. A note about symbols the model does not know goes to stderr.
 */
export async function readActivations(
  modelPath: string,
  textPath: string,
  options: ActivationInputOptions,
  fields: ActivationField[],
): Promise<ActivationSet> {
  const chars = integerOption('--chars', options.chars, 1);
  // Loaded lazily so `--help` and usage errors never pay for starting TensorFlow.
  const { loadCorpus } = await import('../corpus');
  const { loadModel } = await import('../model');
  const snapshot = await loadModel(modelPath);
  // The corpus reader decodes (UTF-8, UTF-16, Windows-1252), reads folders and zips, and
  // normalises as the model did; no validation range, because all of it is read.
  const corpus = await loadCorpus(textPath, {
    normalisation: snapshot.normalisation,
    validation: { chars: 0 },
  });
  const text = corpus.vocabulary.decode(
    chars === undefined ? corpus.ids : corpus.ids.subarray(0, chars),
  );
  const { ActivationJobs } = await import('../engine/activations/jobs');
  const jobs = new ActivationJobs({
    current: () => ({ snapshot, name: path.basename(modelPath) }),
    load: async () => snapshot,
    corpus: () => null,
  });
  try {
    const set = (await collectActivations(
      {
        activationsStart: (request) => jobs.start(request),
        activationsNext: ({ jobId }) => jobs.next(jobId),
        activationsCancel: ({ jobId }) => jobs.cancel(jobId),
      },
      { model: { kind: 'current' }, text: { kind: 'text', text }, fields },
    )) as ActivationSet;
    const { unknown } = set.header;
    if (unknown.symbols.length > 0)
      process.stderr.write(`${unknownSymbolsNote(unknown.symbols, unknown.fate)}\n`);
    return set;
  } finally {
    jobs.dispose();
  }
}
