/**
 * Chart.js, registered once with only what the app draws (tree-shaken), Chart.js's own
 * zoom plugin (chartjs-plugin-zoom: wheel and drag zoom natively, pan and pinch through
 * hammerjs, its dependency), and the theme's colours read from the CSS custom properties
 * so charts follow light and dark mode.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  zoomPlugin,
);

export { Chart };

/** The chart palette and text colours of the current theme. */
export interface ChartTheme {
  series: string[];
  text: string;
  grid: string;
}

/**
 * The palette now. `_dark` is unused by the function: passing `theme.dark` makes the calling
 * effect depend on the system theme, so it re-reads the colours when the theme flips.
 */
export function chartTheme(_dark: boolean): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    series: [1, 2, 3, 4, 5, 6].map((i) => read(`--chart-${i}`, '#2459c9')),
    text: read('--muted', '#59626e'),
    grid: read('--chart-grid', 'rgba(0,0,0,0.08)'),
  };
}

/** `#2459c9` → `rgba(36, 89, 201, 0.3)`; other colour forms are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim())?.[1];
  if (!hex) return color;
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
