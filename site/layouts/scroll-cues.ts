/**
 * Scroll cues for tables wider than the screen. Every `.table-scroll` box gets `data-more-right` while columns
 * are hidden past its right edge, and `data-more-left` once scrolled; the stylesheets draw an edge shadow from
 * them, so a reader on a phone sees that the table goes on. Boxes added later (React islands render after load)
 * are picked up by a MutationObserver.
 */
export function wireScrollCues(root: HTMLElement = document.body): void {
  const seen = new WeakSet<Element>();
  const update = (box: HTMLElement) => {
    const more = box.scrollWidth - box.clientWidth;
    box.toggleAttribute('data-more-right', more > 1 && box.scrollLeft < more - 1);
    box.toggleAttribute('data-more-left', more > 1 && box.scrollLeft > 1);
  };
  const resize = new ResizeObserver((entries) => {
    for (const entry of entries) update(entry.target as HTMLElement);
  });
  const attach = () => {
    for (const box of root.querySelectorAll<HTMLElement>('.table-scroll')) {
      if (seen.has(box)) {
        update(box);
        continue;
      }
      seen.add(box);
      box.addEventListener('scroll', () => update(box), { passive: true });
      resize.observe(box);
      update(box);
    }
  };
  attach();
  new MutationObserver(attach).observe(root, { childList: true, subtree: true });
}
