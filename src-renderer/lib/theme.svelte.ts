/**
 * Whether the system prefers dark colours, as reactive state: charts redraw with the
 * theme's palette when the user switches it while the app is open.
 */
class ThemeWatcher {
  dark = $state(false);

  constructor() {
    if (typeof window === 'undefined' || !window.matchMedia) return;
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    this.dark = query.matches;
    query.addEventListener('change', (event) => (this.dark = event.matches));
  }
}

export const theme = new ThemeWatcher();
