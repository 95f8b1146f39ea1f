import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore, compareVocabulary, saveModel } from '../../src-main/model';
import { tinySnapshot } from './fixtures';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-store-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

async function model(name: string, step: number): Promise<string> {
  const file = path.join(root, 'models', `${name}.lstm`);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await saveModel(file, tinySnapshot({ step }), { savedAt: new Date(Date.UTC(2025, 0, step)) });
  return file;
}

describe('ModelStore', () => {
  it('lists remembered models newest first, de-duplicated, from a file that survives a new store', async () => {
    const settings = path.join(root, 'settings-a');
    const store = new ModelStore(settings);
    expect(await store.recent()).toEqual([]);
    const a = await model('alpha', 1);
    const b = await model('beta', 2);
    await store.remember(a);
    await store.remember(b);
    await store.remember(a);
    const expected = [
      { path: a, name: 'alpha', step: 1, savedAt: '2025-01-01T00:00:00.000Z' },
      { path: b, name: 'beta', step: 2, savedAt: '2025-01-02T00:00:00.000Z' },
    ];
    expect(await store.recent()).toEqual(expected);
    expect(await new ModelStore(settings).recent()).toEqual(expected);
    const stored = JSON.parse(
      await fsp.readFile(path.join(settings, 'recent-models.json'), 'utf8'),
    );
    expect(stored).toEqual({ version: 1, models: expected });
  });

  it('caps the list at 10 and forgets on request', async () => {
    const store = new ModelStore(path.join(root, 'settings-b'));
    const files: string[] = [];
    for (let i = 1; i <= 12; i += 1) {
      files.push(await model(`m${i}`, i));
      await store.remember(files[i - 1]);
    }
    const recent = await store.recent();
    expect(recent.map((entry) => entry.name)).toEqual([
      'm12',
      'm11',
      'm10',
      'm9',
      'm8',
      'm7',
      'm6',
      'm5',
      'm4',
      'm3',
    ]);
    await store.forget(files[11]);
    expect((await store.recent())[0].name).toBe('m11');
  });

  it('drops entries whose file vanished, and persists the drop', async () => {
    const settings = path.join(root, 'settings-c');
    const store = new ModelStore(settings);
    const kept = await model('kept', 3);
    const gone = await model('gone', 4);
    await store.remember(kept);
    await store.remember(gone);
    await fsp.unlink(gone);
    expect((await store.recent()).map((entry) => entry.path)).toEqual([kept]);
    const stored = JSON.parse(
      await fsp.readFile(path.join(settings, 'recent-models.json'), 'utf8'),
    );
    expect(stored.models.map((entry: { path: string }) => entry.path)).toEqual([kept]);
  });

  it('treats a damaged list as empty, refuses to remember a broken model, and opens by path', async () => {
    const settings = path.join(root, 'settings-d');
    await fsp.mkdir(settings, { recursive: true });
    await fsp.writeFile(path.join(settings, 'recent-models.json'), '{"models": [ {"path": 1}');
    const store = new ModelStore(settings);
    expect(await store.recent()).toEqual([]);
    const broken = path.join(root, 'broken.lstm');
    await fsp.writeFile(broken, 'nope');
    await expect(store.remember(broken)).rejects.toThrow('is not an LSTM Studio model file');
    const file = await model('opened', 5);
    const snapshot = await store.open(file);
    expect(snapshot.step).toBe(5);
    expect((await store.recent()).map((entry) => entry.name)).toEqual(['opened']);
  });
});

describe('compareVocabulary', () => {
  const model = {
    vocabulary: ['a', 'b', 'c', '\n'],
    unknownSymbol: null,
    normalisation: 'keep' as const,
  };

  it('accepts the same vocabulary', () => {
    expect(compareVocabulary(model, { ...model, vocabulary: [...model.vocabulary] })).toBeNull();
  });

  it('names the symbols only on one side', () => {
    expect(
      compareVocabulary(model, { ...model, vocabulary: ['a', 'b', '\n', 'é', '\u00a0'] }),
    ).toBe(
      `the corpus's vocabulary differs from the model's: 2 symbols only in the corpus ("é", "\\u00a0"); 1 symbol only in the model ("c")`,
    );
  });

  it('says when only the order, the unknown symbol or the normalisation differs', () => {
    expect(compareVocabulary(model, { ...model, vocabulary: ['a', 'c', 'b', '\n'] })).toBe(
      'the corpus has the same symbols in a different order (id 1 is "b" in the model, "c" in the corpus)',
    );
    expect(compareVocabulary(model, { ...model, unknownSymbol: 'c' })).toBe(
      'the unknown symbol differs: the model uses none, the corpus "c"',
    );
    expect(compareVocabulary(model, { ...model, normalisation: 'text8' })).toBe(
      'the model was trained on keep-normalised text, the corpus is text8-normalised',
    );
  });
});
