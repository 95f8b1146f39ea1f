/**
 * The end-to-end tests' layout check, run in the page (../layout.ts hands it over): what
 * a person would call "cut" or "overlapping", measured. It lists, one line each:
 * - a page that scrolls sideways;
 * - any visible element reaching beyond the window's left or right edge;
 * - any element that clips or scrolls its content sideways (text cut in an input or box);
 * - a select too narrow for its chosen option's text;
 * - any element sticking out of its container's right edge (a fieldset wider than its pane);
 * - two visible pieces of text or controls that overlap (neither inside the other).
 * Elements hidden, visually hidden, or scrolled out of view in their container are skipped.
 * Self-contained (no imports, no outer names): Playwright sends its source to the page.
 */

/** Every layout problem on the page now, one line each ([] when none). */
export function findLayoutProblems(): string[] {
  const problems: string[] = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  const describe = (element: Element): string => {
    const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
    const name =
      element.getAttribute('aria-label') ?? (element as HTMLInputElement).labels?.[0]?.textContent;
    const classes = typeof element.className === 'string' ? element.className.split(' ')[0] : '';
    return `<${element.tagName.toLowerCase()}${classes ? `.${classes}` : ''}> "${(name ?? text).trim().slice(0, 40)}"`;
  };
  const hidden = (element: Element): boolean => {
    if (element.closest('.visually-hidden, [hidden], dialog:not([open])')) return true;
    // The content of a closed <details> keeps stale boxes in Chromium; it is not shown.
    const details = element.closest('details:not([open])');
    if (details && !element.closest('summary') && element !== details) return true;
    const style = getComputedStyle(element);
    return style.visibility === 'hidden' || element.getClientRects().length === 0;
  };
  const clips = (style: CSSStyleDeclaration): boolean =>
    style.overflowX !== 'visible' || style.overflowY !== 'visible';
  /** The part of `element` that can be seen: its box cut by every clipping ancestor. */
  const visibleRect = (element: Element): DOMRect | null => {
    let { left, top, right, bottom } = element.getBoundingClientRect();
    for (let node = element.parentElement; node; node = node.parentElement) {
      if (!clips(getComputedStyle(node)) || node === document.body || node === root) continue;
      const box = node.getBoundingClientRect();
      left = Math.max(left, box.left);
      top = Math.max(top, box.top);
      right = Math.min(right, box.right);
      bottom = Math.min(bottom, box.bottom);
    }
    return right - left > 0.5 && bottom - top > 0.5
      ? new DOMRect(left, top, right - left, bottom - top)
      : null;
  };

  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth} px`);
  }
  const measure = document.createElement('canvas').getContext('2d')!;
  const leaves: { element: Element; rect: DOMRect }[] = [];
  for (const element of document.querySelectorAll('body *')) {
    if (hidden(element)) continue;
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const style = getComputedStyle(element);
    if (rect.left < -0.5 || rect.right > width + 0.5) {
      problems.push(
        `${describe(element)} reaches beyond the window: ${Math.round(rect.left)} to ${Math.round(rect.right)} of ${width} px`,
      );
    }
    const control = element.matches('input:not([type=checkbox]):not([type=radio]), textarea');
    if (element.scrollWidth > element.clientWidth + 1 && (control || clips(style))) {
      problems.push(
        `${describe(element)} cuts its content: ${element.scrollWidth} > ${element.clientWidth} px wide`,
      );
    }
    if (element instanceof HTMLSelectElement && element.selectedOptions[0]) {
      measure.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = measure.measureText(element.selectedOptions[0].text).width;
      const room =
        element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 18; // the drop-down arrow
      if (text > room) {
        problems.push(
          `${describe(element)} is too narrow for "${element.selectedOptions[0].text}": ${Math.round(text)} > ${Math.round(room)} px`,
        );
      }
    }
    const parent = element.parentElement;
    if (
      parent &&
      parent !== document.body &&
      style.position !== 'absolute' &&
      style.position !== 'fixed' &&
      !clips(getComputedStyle(parent))
    ) {
      const outer = parent.getBoundingClientRect();
      if (rect.right > outer.right + 1) {
        problems.push(
          `${describe(element)} sticks out of its container ${describe(parent)} by ${Math.round(rect.right - outer.right)} px`,
        );
      }
    }
    const ownText = [...element.childNodes].some(
      (node) => node.nodeType === Node.TEXT_NODE && (node.textContent ?? '').trim() !== '',
    );
    if (ownText || element.matches('input, select, textarea, button, canvas, progress')) {
      const seen = visibleRect(element);
      if (seen) leaves.push({ element, rect: seen });
    }
  }
  for (let i = 0; i < leaves.length; i++) {
    for (let j = i + 1; j < leaves.length; j++) {
      const a = leaves[i]!;
      const b = leaves[j]!;
      if (a.element.contains(b.element) || b.element.contains(a.element)) continue;
      const overlapX = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const overlapY = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      if (overlapX > 1 && overlapY > 1) {
        problems.push(`${describe(a.element)} overlaps ${describe(b.element)}`);
      }
    }
  }
  return problems;
}
