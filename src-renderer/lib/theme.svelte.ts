/**
 * The colour theme: the system's (following it live), or light or dark as the user chose,
 * remembered in this browser's storage. It sets `data-theme` on the root element, which
 * app.css reads, and `dark` is reactive so charts redraw with the theme's palette.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'lstm-studio-theme';

class ThemeState {
  choice = $state<ThemeChoice>('system');
  private systemDark = $state(false);
  /** Whether the dark palette is showing. */
  readonly dark = $derived(this.choice === 'dark' || (this.choice === 'system' && this.systemDark));

  constructor() {
    if (typeof window === 'undefined') return;
    const stored = readStored();
    if (stored) this.choice = stored;
    if (window.matchMedia) {
      const query = window.matchMedia('(prefers-color-scheme: dark)');
      this.systemDark = query.matches;
      query.addEventListener('change', (event) => {
        this.systemDark = event.matches;
        this.apply();
      });
    }
    this.apply();
  }

  /** Switches the theme (and remembers the choice). */
  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      window.localStorage?.setItem(STORAGE_KEY, choice);
    } catch {
      // Storage can be off (private windows, policies): the choice then lasts this page.
    }
    this.apply();
  }

  /** The root element's attribute, set at once so charts created next read the new colours. */
  private apply(): void {
    document.documentElement.dataset.theme = this.dark ? 'dark' : 'light';
  }
}

function readStored(): ThemeChoice | null {
  try {
    const value = window.localStorage?.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' || value === 'system' ? value : null;
  } catch {
    return null;
  }
}

export const theme = new ThemeState();
