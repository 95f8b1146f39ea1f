/**
 * Reading the corpus a source names — a path (zip, text file or folder) or the bundled
 * sample — with its reading progress as `corpus:progress` events; and the same source again
 * with other options (`corpus:reread`), so a window never has to send the path back.
 */
import { UsageError } from '../errors';
import type { Corpus } from '../corpus';
import type { CorpusSource } from '../model/run-records';
import type { EngineEvent } from '../protocol/messages';
import type { CorpusOptions } from '../protocol/types';

/** Reads the corpus `source` names, emitting its progress. */
export async function readCorpus(
  source: CorpusSource,
  emit: (event: EngineEvent) => void,
): Promise<Corpus> {
  const corpusModule = await import('../corpus');
  const onProgress = ({ bytesRead, totalBytes }: { bytesRead: number; totalBytes: number }) =>
    emit({ type: 'corpus:progress', bytesRead, totalBytes });
  return source.kind === 'sample'
    ? corpusModule.loadSampleCorpus(source.options, onProgress)
    : corpusModule.loadCorpus(source.path, source.options, onProgress);
}

/** The open corpus's source with other options; a one-line error when none is open. */
export function withOptions(source: CorpusSource | null, options: CorpusOptions): CorpusSource {
  if (!source) throw new UsageError('corpus/none', 'open a corpus first');
  return { ...source, options };
}
