/**
 * Colours for values drawn as character backgrounds: a diverging scale (blue below the
 * middle, white at it, red above, as in the published cell pictures) and a sequential one
 * (white to red) for surprise. Pure functions, so the legend and the text use the same.
 */

/** A scale: the value range it spans and whether it diverges around the middle. */
export interface ColourScale {
  min: number;
  max: number;
  diverging: boolean;
}

const BLUE = [33, 102, 172];
const RED = [178, 24, 43];
const WHITE = [247, 247, 247];

function mix(a: number[], b: number[], t: number): string {
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The colour of `value` on `scale` (NaN: transparent). Values outside the range are clamped. */
export function colourOf(value: number, scale: ColourScale): string {
  if (Number.isNaN(value)) return 'transparent';
  const span = scale.max - scale.min || 1;
  const t = Math.min(1, Math.max(0, (value - scale.min) / span));
  if (!scale.diverging) return mix(WHITE, RED, t);
  return t < 0.5 ? mix(BLUE, WHITE, t * 2) : mix(WHITE, RED, (t - 0.5) * 2);
}

/** A CSS gradient of the scale, for its legend. */
export function legendGradient(scale: ColourScale): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) =>
    colourOf(scale.min + t * (scale.max - scale.min), scale),
  );
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** Text on a background: dark on light colours, light on dark ones. */
export function textColourOn(background: string): string {
  const match = /rgb\((\d+), (\d+), (\d+)\)/.exec(background);
  if (!match) return '';
  const [r, g, b] = match.slice(1).map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b < 120 ? '#ffffff' : '#111111';
}
