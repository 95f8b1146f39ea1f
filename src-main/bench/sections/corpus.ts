/**
 * corpus: ingestion speed and memory, measured by ../corpus-bench.ts (a text8-sized zip read
 * by `loadCorpus` in a child process, with `unzip -p` as the baseline in the same run).
 */
import { benchCorpus } from '../corpus-bench';
import { print, table } from '../report';
import type { BenchSection } from '../section';

async function run(): Promise<void> {
  print('## Corpus ingestion');
  print();
  const rows = await benchCorpus();
  if (rows.length > 0) {
    const header = Object.keys(rows[0]) as Array<keyof (typeof rows)[number]>;
    print(
      table(
        header,
        rows.map((row) => header.map((key) => String(row[key]))),
      ),
    );
  }
  print();
}

export const corpus: BenchSection = { name: 'corpus', run };
