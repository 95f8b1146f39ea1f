/**
 * The hyperparameter guide: docs/hyperparameters.md, bundled into the app at build time and
 * shown in a dialog, so its help works the same offline, on the desktop and in browser
 * mode. The first sentence of each section is the help a field's "?" shows: the help has
 * one home, the docs page.
 *
 * Only the Markdown the page uses is understood: `#`/`##` headings, paragraphs, `- ` lists,
 * and `code`, **strong** and *emphasis* inline. Everything renders as text (no HTML).
 */
import guideText from '../../docs/hyperparameters.md?raw';

export interface Inline {
  kind: 'text' | 'code' | 'strong' | 'em';
  text: string;
}

export type Block = { kind: 'paragraph'; inline: Inline[] } | { kind: 'list'; items: Inline[][] };

export interface GuideSection {
  /** The heading as an anchor: "Clip to global norm" → "clip-to-global-norm". */
  id: string;
  title: string;
  blocks: Block[];
  /** The section's first sentence, as plain text: the help at the field. */
  summary: string;
}

export interface Guide {
  title: string;
  intro: Block[];
  sections: GuideSection[];
}

/** Which guide section explains a field (its help "?"). */
export const HELP_SECTIONS = {
  'training.timeBudget': 'train-for',
  'training.unrollings': 'unrollings',
  'model.forgetBias': 'forget-gate-bias',
  'training.clipNorm': 'clip-to-global-norm',
  'training.warmupSteps': 'warm-up',
  'model.dropout': 'dropout',
  temperature: 'temperature',
} as const;

export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** `code`, **strong** and *em* spans of one line of text. */
export function parseInline(text: string): Inline[] {
  const parts: Inline[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push({ kind: 'text', text: text.slice(last, match.index) });
    if (match[1] !== undefined) parts.push({ kind: 'code', text: match[1] });
    else if (match[2] !== undefined) parts.push({ kind: 'strong', text: match[2] });
    else parts.push({ kind: 'em', text: match[3]! });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

const plain = (inline: Inline[]): string => inline.map((part) => part.text).join('');

/** The first sentence of a paragraph (up to the first ". ", "! " or "? ", or all of it). */
function firstSentence(text: string): string {
  const end = text.search(/[.!?](?:\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

/** Parses the guide's Markdown (the subset described above). */
export function parseGuide(markdown: string): Guide {
  const guide: Guide = { title: '', intro: [], sections: [] };
  let blocks = guide.intro;
  let paragraph: string[] = [];
  let list: string[] | null = null;
  const flush = (): void => {
    if (paragraph.length > 0)
      blocks.push({ kind: 'paragraph', inline: parseInline(paragraph.join(' ')) });
    paragraph = [];
  };
  const flushList = (): void => {
    if (list) blocks.push({ kind: 'list', items: list.map(parseInline) });
    list = null;
  };
  for (const raw of markdown.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const heading = /^(#{1,2})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      flushList();
      if (heading[1] === '#') guide.title = heading[2]!;
      else {
        const section: GuideSection = {
          id: slug(heading[2]!),
          title: heading[2]!,
          blocks: [],
          summary: '',
        };
        guide.sections.push(section);
        blocks = section.blocks;
      }
    } else if (line.startsWith('- ')) {
      flush();
      (list ??= []).push(line.slice(2));
    } else if (list && /^\s+\S/.test(line)) {
      list[list.length - 1] += ` ${line.trim()}`;
    } else if (line === '') {
      flush();
      flushList();
    } else {
      flushList();
      paragraph.push(line.trim());
    }
  }
  flush();
  flushList();
  for (const section of guide.sections) {
    const first = section.blocks.find((block) => block.kind === 'paragraph');
    section.summary = first ? firstSentence(plain(first.inline)) : '';
  }
  return guide;
}

export const guide = parseGuide(guideText);

/** The help sentence of a guide section. */
export function helpSummary(section: string): string {
  return guide.sections.find((candidate) => candidate.id === section)?.summary ?? '';
}

/** Which section the guide dialog should show; the dialog opens when `request` changes. */
class GuideRequest {
  section = $state<string | null>(null);
  request = $state(0);

  show(section: string | null): void {
    this.section = section;
    this.request += 1;
  }
}

export const guideRequest = new GuideRequest();
