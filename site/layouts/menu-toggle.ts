/**
 * The collapsing header menu of the portal and the reports on narrow screens. A `[data-menu-toggle]` button controls
 * the element its `aria-controls` names: it flips `aria-expanded`, and the stylesheet hides the menu while it is
 * `false`. Escape closes an open menu and returns focus to its button; following a link inside closes it too.
 *
 * The header gets `data-menu-ready` once this has run: the stylesheets collapse the menu only then, so without
 * JavaScript the links stay visible (wrapped) instead of unreachable.
 */
export function wireMenuToggles(root: ParentNode = document): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('[data-menu-toggle]')) {
    const menu = document.getElementById(button.getAttribute('aria-controls') ?? '');
    if (!menu) continue;
    const setOpen = (open: boolean) => button.setAttribute('aria-expanded', String(open));
    setOpen(false);
    button.addEventListener('click', () => setOpen(button.getAttribute('aria-expanded') !== 'true'));
    menu.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || button.getAttribute('aria-expanded') !== 'true') return;
      setOpen(false);
      button.focus();
    });
    button.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') setOpen(false);
    });
    menu.addEventListener('click', (event) => {
      if ((event.target as Element | null)?.closest('a')) setOpen(false);
    });
    button.closest('header')?.setAttribute('data-menu-ready', '');
  }
}
