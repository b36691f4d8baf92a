import type { Page } from 'playwright-core';

/**
 * What is wrong with the page's layout at the current (narrow) viewport, as readable lines; empty when nothing is:
 * - the page scrolls sideways (document scrollWidth above the viewport's width);
 * - a table's first column is not in view as the page loads (left edge, before any scrolling);
 * - a table's last column, or a button, cannot be brought into view: it must lie inside the viewport, either as it
 *   is or once the box it scrolls in (a table may scroll inside its own container, which must fit the viewport) is
 *   scrolled to it, and nothing else (a sticky column, a fixed header) may cover it there;
 * - a table's header leaves an empty band: a column name sits in a header cell with more than one line of empty
 *   room (a squeezed column's name wrapped word by word makes the whole header row tall, and every other name
 *   then sits under, or over, a blank band).
 * Every `<details>` outside navigation is opened first. Hidden elements (no box, `hidden`, a collapsed menu, 1-px screen-reader text)
 * are skipped. Scroll boxes are put back where they were.
 */
export function narrowLayoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    const vw = root.clientWidth;
    // Disclosures in the content (a chart's data table) are opened: what they hold must fit too. Navigation ones
    // (Starlight's "On this page" on phones) would only cover the page.
    for (const details of document.querySelectorAll('details')) if (!details.closest('nav')) details.open = true;

    const name = (el: Element) => {
      const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
      const label = el.getAttribute('aria-label');
      return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? ` class="${el.className}"` : ''}> "${label ?? text}"`;
    };
    const shown = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 1 && r.height > 1 && el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true });
    };
    if (root.scrollWidth > vw) {
      // Name the innermost elements that stick out, which is where a fix goes.
      const wide = [...document.body.querySelectorAll('*')].filter((el) => shown(el) && el.getBoundingClientRect().right > vw + 0.5);
      const innermost = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other))).slice(0, 3);
      problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${vw} px viewport (${innermost.map(name).join(', ')})`);
    }
    /** The nearest ancestor (or the element itself, for tables Starlight makes scroll) that scrolls sideways. */
    const scrollBox = (el: Element): HTMLElement | null => {
      for (let p: Element | null = el.parentElement; p && p !== root && p !== document.body; p = p.parentElement) {
        const overflow = getComputedStyle(p).overflowX;
        if ((overflow === 'auto' || overflow === 'scroll') && p.scrollWidth > p.clientWidth) return p as HTMLElement;
      }
      return null;
    };
    const inViewport = (r: DOMRect) => r.left >= -0.5 && r.right <= vw + 0.5;
    const boxes = new Map<HTMLElement, number>();
    /**
     * Scrolls the page to `el`, and its box from the start just far enough to show its right edge, as a reader
     * swiping left would (so a sticky first column is not mistaken for cover). Null when it is then fully visible,
     * else why not.
     */
    const unreachable = (el: Element): string | null => {
      const box = scrollBox(el);
      if (box && !boxes.has(box)) boxes.set(box, box.scrollLeft);
      el.scrollIntoView({ block: 'center', inline: 'nearest' });
      const px = (r: DOMRect) => `${Math.round(r.left)}..${Math.round(r.right)} px`;
      if (box) {
        const b = box.getBoundingClientRect();
        if (!inViewport(b)) return `its scroll box ${name(box)} spans ${px(b)}`;
        box.scrollLeft = 0;
        const overhang = el.getBoundingClientRect().right - b.right;
        if (overhang > 0) box.scrollLeft = Math.ceil(overhang) + 1;
        const r = el.getBoundingClientRect();
        if (r.left < b.left - 0.5 || r.right > b.right + 0.5) return `at ${px(r)}, outside its scroll box at ${px(b)}`;
      }
      const r = el.getBoundingClientRect();
      if (!inViewport(r)) return `at ${px(r)}`;
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
      if (hit === null || !(el === hit || el.contains(hit) || hit.contains(el))) return `covered by ${hit ? name(hit) : 'nothing'}`;
      return null;
    };

    const tables = [...document.querySelectorAll('table')].filter(shown);
    const edges = tables.map((table) => {
      // Phones may show a table as cards with its head clipped away; the first visible row then stands for it.
      const row = [...table.rows].find((r) => r.cells.length > 0 && shown(r.cells[0]!));
      return { table, first: row?.cells[0], last: row ? [...row.cells].reverse().find(shown) : undefined };
    });
    for (const { table, first } of edges) {
      if (first && !inViewport(first.getBoundingClientRect())) problems.push(`first column of ${name(table)} is off-screen: ${name(first)}`);
    }
    for (const { table, last } of edges) {
      const why = last && unreachable(last);
      if (why) problems.push(`last column of ${name(table)} cannot be brought into view: ${name(last)} ${why}`);
    }
    for (const table of tables) {
      const head = table.tHead;
      if (!head || !shown(head)) continue;
      for (const cell of [...head.rows].flatMap((row) => [...row.cells])) {
        if (!shown(cell)) continue;
        const style = getComputedStyle(cell);
        const line = Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.2;
        const text = document.createRange();
        text.selectNodeContents(cell);
        // Text's box is its glyphs' height, short of the line it sits on: count whole lines.
        const height = text.getBoundingClientRect().height;
        const used = height > 0 ? Math.max(1, Math.round(height / line)) * line : 0;
        const frame = ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth'] as const;
        const empty = cell.getBoundingClientRect().height - frame.reduce((sum, side) => sum + Number.parseFloat(style[side]), 0) - used;
        if (used > 0 && empty > line + 0.5) {
          problems.push(
            `header of ${name(table)} leaves ${Math.round(empty)} px empty in ${name(cell)} (${Math.round(used / line)} line(s) of names, ${Math.round(line)} px each)`,
          );
        }
      }
    }
    for (const button of document.querySelectorAll('button, [role="button"], a.button, input[type="submit"]')) {
      if (!shown(button) || button.closest('[aria-hidden="true"]')) continue;
      if (button.getBoundingClientRect().width > vw) problems.push(`${name(button)} is wider than the screen`);
      else {
        const why = unreachable(button);
        if (why) problems.push(`${name(button)} cannot be brought into view: ${why}`);
      }
    }
    for (const [box, left] of boxes) box.scrollLeft = left;
    window.scrollTo(0, 0);
    return problems;
  });
}
