/**
 * Every section of `npm run bench`, in the order a full run prints them. To add one, write
 * `sections/<name>.ts` exporting a `BenchSection` and list it here (one marked
 * `onlyWhenAsked` runs only with `--only`).
 */
import type { BenchSection } from '../section';
import { activations } from './activations';
import { budget } from './budget';
import { corpus } from './corpus';
import { generation } from './generation';
import { presets } from './presets';
import { quality } from './quality';
import { speed } from './speed';
import { startup } from './startup';
import { tuning } from './tuning';
import { twoBy256 } from './two-by-256';

export const SECTIONS: readonly BenchSection[] = [
  speed,
  twoBy256,
  generation,
  activations,
  corpus,
  quality,
  startup,
  budget,
  presets,
  tuning,
];
