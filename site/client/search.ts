// The header's search field. Pagefind's index (built with the site, scripts/site-integration.mjs) and its
// script load only when the reader first focuses the field or presses `/`: nothing of search is in a
// page's first load beyond this file.
import { withBase } from '../lib/paths';

interface PagefindResultData {
  url: string;
  excerpt: string;
  meta: { title?: string };
}

interface Pagefind {
  options(options: { baseUrl: string }): Promise<void>;
  debouncedSearch(
    query: string,
    options?: object,
    ms?: number,
  ): Promise<{ results: { data(): Promise<PagefindResultData> }[] } | null>;
}

const MAX_RESULTS = 8;

const form = document.querySelector<HTMLFormElement>('[data-search]');
const input = form?.querySelector<HTMLInputElement>('input[type="search"]');
const panel = form?.querySelector<HTMLElement>('[data-search-results]');
const status = form?.querySelector<HTMLElement>('[data-search-status]');
let pagefind: Promise<Pagefind> | null = null;

function load(): Promise<Pagefind> {
  pagefind ??= (import(/* @vite-ignore */ withBase('pagefind/pagefind.js')) as Promise<Pagefind>).then(async (p) => {
    await p.options({ baseUrl: withBase('') });
    return p;
  });
  pagefind.catch(() => (pagefind = null));
  return pagefind;
}

/** Pagefind's excerpts are the page's own text, escaped, with matches in <mark>: safe as HTML. */
function resultItem(data: PagefindResultData): HTMLLIElement {
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = data.url;
  link.textContent = data.meta.title ?? data.url;
  const excerpt = document.createElement('p');
  excerpt.innerHTML = data.excerpt;
  item.append(link, excerpt);
  return item;
}

function show(message: string, items: HTMLLIElement[] = []): void {
  if (!panel || !status) return;
  status.textContent = message;
  panel.querySelector('ol')?.replaceChildren(...items);
  panel.hidden = false;
}

function close(): void {
  if (panel) panel.hidden = true;
}

async function search(query: string): Promise<void> {
  if (query.trim() === '') return close();
  let found;
  try {
    found = await (await load()).debouncedSearch(query, {}, 150);
  } catch {
    return show(
      navigator.onLine
        ? 'Search could not load. Reload the page to try again.'
        : 'Search is not available offline until this site has been opened once online.',
    );
  }
  if (found === null || input?.value !== query) return; // a newer query superseded this one
  const data = await Promise.all(found.results.slice(0, MAX_RESULTS).map((r) => r.data()));
  const quoted = `“${query.trim()}”`;
  if (data.length === 0) return show(`No lesson mentions ${quoted}.`);
  const count = found.results.length;
  show(`${count} ${count === 1 ? 'lesson matches' : 'lessons match'} ${quoted}.`, data.map(resultItem));
}

if (form && input && panel) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    panel.querySelector('a')?.focus();
  });
  input.addEventListener('focus', () => void load().catch(() => undefined), { once: true });
  input.addEventListener('input', () => void search(input.value));
  form.addEventListener('keydown', (event) => {
    const links = [...panel.querySelectorAll('a')];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (event.key === 'Escape') {
      close();
      input.focus();
    } else if (event.key === 'ArrowDown' && !panel.hidden && links.length > 0) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)]?.focus();
    } else if (event.key === 'ArrowUp' && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : links[at - 1])?.focus();
    }
  });
  // Clicking or tabbing away closes the results; moving inside the form does not.
  form.addEventListener('focusout', (event) => {
    if (!form.contains(event.relatedTarget as Node | null)) close();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
    event.preventDefault();
    input.focus();
  });
}
