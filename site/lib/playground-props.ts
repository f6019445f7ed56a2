// What every playground page passes to its notebook app: the lessons and the pages it links to.
import { lessonsInOrder } from './lessons';
import { examples } from './notebooks';
import { lessonHref, withBase } from './paths';

/** Not in paths.ts: that module is in every page's first-load script (the search field's), and this is build-time only. */
export function playgroundHref(slug = ''): string {
  return withBase(slug ? `playground/${slug}/` : 'playground/');
}

export async function playgroundLinks() {
  const lessons = Object.fromEntries(
    (await lessonsInOrder()).map((l) => [l.id, { title: l.data.title, href: lessonHref(l.id) }]),
  );
  const exampleHrefs = Object.fromEntries((await examples()).map((e) => [e.slug, playgroundHref(e.slug)]));
  return { lessons, exampleHrefs, indexHref: playgroundHref(), notebookHref: playgroundHref('notebook') };
}
