// The example notebooks (notebooks/*.md), read and checked at build time: one that does not parse, or that
// names a lesson that does not exist, fails the build with the reason.
import { fromMarkdown, type Notebook } from '../../playground/notebook.ts';
import { renderMarkdown } from '../../playground/markdown.ts';
import { lessonsInOrder } from './lessons';

export interface Example {
  slug: string;
  notebook: Notebook;
  /** Each cell's prose rendered (code cells: ''), so the page shows it before any script runs. */
  html: string[];
}

const files = import.meta.glob<string>('../../notebooks/*.md', { query: '?raw', import: 'default', eager: true });

/** Slugs the playground's own pages use. */
const RESERVED = new Set(['notebook']);

export async function examples(): Promise<Example[]> {
  const lessonIds = new Set((await lessonsInOrder()).map((l) => l.id));
  return Object.entries(files)
    .map(([path, text]) => {
      const slug = /([^/]+)\.md$/.exec(path)![1]!;
      const parsed = fromMarkdown(text);
      if (!parsed.ok) throw new Error(`notebooks/${slug}.md: ${parsed.problem}`);
      if (RESERVED.has(slug)) throw new Error(`notebooks/${slug}.md: "${slug}" is the name of a playground page.`);
      const { notebook } = parsed;
      if (notebook.lesson && !lessonIds.has(notebook.lesson)) {
        throw new Error(`notebooks/${slug}.md: its lesson "${notebook.lesson}" is not in lessons/.`);
      }
      const html = notebook.cells.map((c) => (c.kind === 'markdown' ? renderMarkdown(c.source) : ''));
      return { slug, notebook, html };
    })
    .sort((a, b) => a.notebook.title.localeCompare(b.notebook.title));
}
