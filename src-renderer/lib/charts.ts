/**
 * Chart.js, registered once with only what the app draws (tree-shaken), and the theme's
 * colours read from the CSS custom properties so charts follow light and dark mode.
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
