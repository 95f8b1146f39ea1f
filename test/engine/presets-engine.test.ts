/**
 * The presets and estimates are plain data the renderer can import without TensorFlow;
 * these tests hold them to what the real engine does.
 */
import { describe, expect, it } from 'vitest';
import { OPTIMIZER_SLOTS, parameterCount } from '../../src-main/engine/estimate';
import { presets, validateRunConfig } from '../../src-main/engine/presets';
import { countParameters } from '../../src-main/engine/model';
import { slotNames } from '../../src-main/engine/optimizer';
import { corpusFromText } from '../../src-main/corpus';
import { TrainingSession } from '../../src-main/engine';
import type { OptimizerName, RunConfig } from '../../src-main/protocol/types';

describe('presets against the engine', () => {
  it('counts parameters exactly as the engine builds them', () => {
    for (const vocabulary of [27, 97, 500]) {
      for (const preset of presets({ chars: 1e6, vocabularySize: vocabulary })) {
        expect(parameterCount(preset.config, vocabulary), `${preset.id} V=${vocabulary}`).toBe(
          countParameters(preset.config.model, vocabulary),
        );
      }
    }
  });

  it('knows how many slots each optimizer keeps', () => {
    for (const name of ['sgd', 'momentum', 'adam', 'rmsprop'] as OptimizerName[]) {
      expect(OPTIMIZER_SLOTS[name], name).toBe(slotNames(name).length);
    }
  });

  it('trains every preset for a step on a real corpus', async () => {
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(400);
    const corpus = corpusFromText(text, { normalisation: 'keep', validation: { chars: 1000 } });
    for (const preset of presets({
      chars: corpus.report.chars,
      vocabularySize: corpus.vocabulary.size,
    })) {
      // Shrunk so the large preset stays fast; the structure (layers, input, optimizer, schedule) is kept.
      const config: RunConfig = structuredClone(preset.config);
      config.model.layers = config.model.layers.map(() => 8);
      config.training = {
        ...config.training,
        batchSize: 4,
        unrollings: 5,
        steps: 2,
        summaryEvery: 2,
        sampleEvery: 0,
      };
      expect(validateRunConfig(config, { chars: corpus.report.chars })).toEqual([]);
      const session = TrainingSession.create({ corpus, config });
      const result = await session.run();
      session.dispose();
      expect(result.step, preset.id).toBe(2);
      expect(Number.isFinite(result.finalValidation?.bitsPerChar), preset.id).toBe(true);
    }
  });
});
