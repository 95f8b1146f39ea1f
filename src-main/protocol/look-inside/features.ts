/**
 * Simple features of a text, one value per character, that a cell might learn to follow
 * ("Visualizing and Understanding Recurrent Networks", Karpathy, Johnson and Fei-Fei).
 * Pure functions over the characters (code points), shared by the window and the CLI.
 *
 * Value t describes the text after character t has been read, as a cell's state after
 * reading it does: an opening quote is already inside the quotes, a closing one is
 * already outside; a newline is position 0 of the next line. NaN means "not defined
 * here" (the vowel feature on a digit) and is left out of every score.
 */

export type FeatureId =
  | 'quotes'
  | 'brackets'
  | 'bracket-depth'
  | 'line-position'
  | 'after-space'
  | 'vowel'
  | 'word-start'
  | 'regex';

export interface FeatureInfo {
  id: FeatureId;
  label: string;
  /** 'binary' features are 0 or 1; 'count' features are whole numbers ≥ 0. */
  kind: 'binary' | 'count';
  /** One sentence for help texts and `cells --help`. */
  description: string;
}

export const FEATURES: readonly FeatureInfo[] = [
  {
    id: 'quotes',
    label: 'Inside quotes',
    kind: 'binary',
    description: 'between double quotes: " toggles, “ opens, ” closes',
  },
  {
    id: 'brackets',
    label: 'Inside brackets',
    kind: 'binary',
    description: 'inside at least one pair of (), [] or {}',
  },
  {
    id: 'bracket-depth',
    label: 'Bracket depth',
    kind: 'count',
    description: 'how many (, [ or { are open',
  },
  {
    id: 'line-position',
    label: 'Position in line',
    kind: 'count',
    description: 'characters read since the last newline',
  },
  {
    id: 'after-space',
    label: 'After a space',
    kind: 'binary',
    description: 'the character just read is a space',
  },
  {
    id: 'vowel',
    label: 'Vowel or consonant',
    kind: 'binary',
    description:
      '1 after a vowel (a e i o u, any case or accent), 0 after another letter; other characters are left out',
  },
  {
    id: 'word-start',
    label: 'Start of a word',
    kind: 'binary',
    description: 'the character just read is the first letter or digit of a word',
  },
  {
    id: 'regex',
    label: 'Your regular expression',
    kind: 'binary',
    description: 'the character is part of a match of a regular expression you give',
  },
];

export const FEATURE_IDS = FEATURES.map((feature) => feature.id);

export function featureInfo(id: FeatureId): FeatureInfo {
  return FEATURES.find((feature) => feature.id === id)!;
}

export function isFeatureId(value: string): value is FeatureId {
  return (FEATURE_IDS as string[]).includes(value);
}

const LETTER = /\p{L}/u;
const WORD = /[\p{L}\p{N}]/u;
const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

function isVowel(character: string): boolean {
  // "é" → "e" + combining accent: the base letter decides.
  const base = character.normalize('NFD').charAt(0).toLowerCase();
  return base === 'a' || base === 'e' || base === 'i' || base === 'o' || base === 'u';
}

/** A regular expression typed by a person, or a one-line reason it is not one. */
export function compileUserRegex(source: string): RegExp {
  if (source.length === 0) throw new SyntaxError('the regular expression is empty');
  try {
    return new RegExp(source, 'gu');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyntaxError(`not a valid regular expression: ${reason}`);
  }
}

/**
 * The values of a feature for each character of `chars` (code points, as the model reads
 * them). `regex` needs `pattern` (see compileUserRegex).
 */
export function featureValues(
  id: FeatureId,
  chars: readonly string[],
  pattern?: RegExp,
): Float32Array {
  const n = chars.length;
  const values = new Float32Array(n);
  switch (id) {
    case 'quotes': {
      let inside = false;
      for (let t = 0; t < n; t++) {
        const c = chars[t];
        if (c === '"') inside = !inside;
        else if (c === '“') inside = true;
        else if (c === '”') inside = false;
        values[t] = inside ? 1 : 0;
      }
      break;
    }
    case 'brackets':
    case 'bracket-depth': {
      let depth = 0;
      for (let t = 0; t < n; t++) {
        if (OPENERS.has(chars[t])) depth += 1;
        else if (CLOSERS.has(chars[t])) depth = Math.max(0, depth - 1);
        values[t] = id === 'brackets' ? (depth > 0 ? 1 : 0) : depth;
      }
      break;
    }
    case 'line-position': {
      let position = 0;
      for (let t = 0; t < n; t++) {
        position = chars[t] === '\n' ? 0 : position + 1;
        values[t] = position;
      }
      break;
    }
    case 'after-space':
      for (let t = 0; t < n; t++) values[t] = chars[t] === ' ' ? 1 : 0;
      break;
    case 'vowel':
      for (let t = 0; t < n; t++) {
        values[t] = LETTER.test(chars[t]) ? (isVowel(chars[t]) ? 1 : 0) : Number.NaN;
      }
      break;
    case 'word-start':
      for (let t = 0; t < n; t++) {
        const starts = WORD.test(chars[t]) && (t === 0 || !WORD.test(chars[t - 1]));
        values[t] = starts ? 1 : 0;
      }
      break;
    case 'regex': {
      if (!pattern) throw new Error('the regex feature needs a regular expression');
      markMatches(chars, pattern, values);
      break;
    }
  }
  return values;
}

/** Sets values[t] = 1 for every character inside a match of `pattern` over the joined text. */
function markMatches(chars: readonly string[], pattern: RegExp, values: Float32Array): void {
  const text = chars.join('');
  // UTF-16 offset → character index (a character outside the BMP is two units).
  const indexOfUnit = new Int32Array(text.length + 1);
  let unit = 0;
  for (let t = 0; t < chars.length; t++) {
    for (let k = 0; k < chars[t].length; k++) indexOfUnit[unit + k] = t;
    unit += chars[t].length;
  }
  indexOfUnit[text.length] = chars.length;
  const global = pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
  global.lastIndex = 0;
  for (let match = global.exec(text); match !== null; match = global.exec(text)) {
    const from = match.index;
    const to = from + match[0].length;
    if (to === from) {
      // An empty match marks nothing; step past it (by a whole character) so the loop ends.
      global.lastIndex = from + (text.codePointAt(from)! > 0xffff ? 2 : 1);
      if (from >= text.length) break;
      continue;
    }
    for (let t = indexOfUnit[from]; t < indexOfUnit[to]; t++) values[t] = 1;
  }
}

/** Whether a feature takes more than one value over the text (else no cell can follow it). */
export function featureVaries(values: Float32Array): boolean {
  let first = Number.NaN;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    if (Number.isNaN(first)) first = value;
    else if (value !== first) return true;
  }
  return false;
}
