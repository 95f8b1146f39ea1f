/**
 * Keeps keyboard focus in place when the focused control goes away. Chromium blurs a
 * focused button that is removed (a dismissed alert, a banner's action) or disabled (Start
 * once a run starts, Generate while it generates), and focus falls to the page body: a
 * keyboard user would start again from the top. Instead focus moves to the nearest
 * control still there:
 * - a disabled control waits (briefly) for its group to offer another one: Start hands
 *   over to Pause once the run is under way, Stop to Start once the run has stopped;
 * - otherwise the first enabled control of the closest surviving ancestor, within the
 *   focus scope (an element marked `data-focus-scope`), or the scope itself.
 *
 * A click on empty page space also leaves focus on the body; that is left alone, because
 * the control that had focus is still there and enabled.
 */

const FOCUSABLE =
  'button:not(:disabled), input:not(:disabled):not([type="hidden"]), select:not(:disabled), ' +
  'textarea:not(:disabled), a[href], [tabindex]:not([tabindex="-1"])';
const CONTROLS = 'button, input, select, textarea';
/** How long a disabled control's group may take to offer the next control. */
const WAIT_MS = 2000;

/** Whether `element` can hold focus now: attached, enabled and rendered. */
function usable(element: HTMLElement): boolean {
  if (!element.isConnected || element.matches(':disabled')) return false;
  return element.getClientRects().length > 0 && !element.closest('[hidden], [inert]');
}

/** The first usable control inside `container`, or null. */
function firstUsable(container: HTMLElement): HTMLElement | null {
  for (const candidate of container.querySelectorAll<HTMLElement>(FOCUSABLE)) {
    if (usable(candidate)) return candidate;
  }
  return null;
}

/** Starts keeping focus inside `root`; returns the function that stops it. */
export function keepFocus(root: HTMLElement): () => void {
  let last: HTMLElement | null = null;
  /** The ancestors of `last` when it got focus (a removed element loses its parent links). */
  let ancestors: HTMLElement[] = [];
  let deadline: ReturnType<typeof setTimeout> | null = null;

  const stopWaiting = (): void => {
    if (deadline !== null) clearTimeout(deadline);
    deadline = null;
  };

  const onFocusIn = (event: FocusEvent): void => {
    const target = event.target as HTMLElement;
    if (target === document.body) return;
    stopWaiting();
    last = target;
    ancestors = [];
    for (let node = target.parentElement; node && node !== root.parentElement;) {
      ancestors.push(node);
      node = node.parentElement;
    }
  };

  /** `final`: the wait for a disabled control's group is over; take what is there. */
  const restore = (final: boolean): void => {
    // Only when focus was lost (Chromium blurs a control that is removed, disabled or
    // hidden): checked first, as this runs on every change to the page.
    const active = document.activeElement;
    if (!last || (active && active !== document.body)) return;
    if (usable(last)) return;
    const group = ancestors.find((node) => node.isConnected && node.querySelector(CONTROLS));
    const wait = last.isConnected && !final;
    for (const ancestor of ancestors) {
      if (!ancestor.isConnected) continue;
      const next = firstUsable(ancestor);
      if (next) {
        next.focus();
        return;
      }
      if (wait && ancestor === group) {
        deadline ??= setTimeout(() => {
          deadline = null;
          restore(true);
        }, WAIT_MS);
        return;
      }
      if (ancestor.hasAttribute('data-focus-scope')) {
        if (!ancestor.hasAttribute('tabindex')) ancestor.setAttribute('tabindex', '-1');
        ancestor.focus();
        return;
      }
    }
  };

  root.addEventListener('focusin', onFocusIn);
  // Removals and `disabled` changes arrive as mutations; the check runs once they settle.
  const observer = new MutationObserver(() => restore(false));
  observer.observe(root, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['disabled', 'hidden'],
  });
  return () => {
    stopWaiting();
    root.removeEventListener('focusin', onFocusIn);
    observer.disconnect();
  };
}
