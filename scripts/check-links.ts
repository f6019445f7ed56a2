// Fails on a link in the built site to a page or an anchor that does not exist: a lesson pointing at a
// lesson not written yet, a heading renamed, a citation id mistyped. Reads the HTML the build wrote, so it
// checks the ids Astro gave the headings, not a guess at them.
// Usage: node scripts/check-links.ts <built folder> <base path>   (the e2e suite runs it on its own build)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One built page: its path under the base (`lessons/moe-equation/`) and its HTML. */
export interface BuiltPage {
  path: string;
  html: string;
}

const ORIGIN = 'http://site.invalid';

function ids(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
}

function hrefs(html: string): string[] {
  return [...html.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

/**
 * Every broken internal link, as "page → href: why". `pages` are all built pages; `assetExists` says
 * whether a non-page file (a checkpoint, an image) exists under the base.
 */
export function brokenLinks(
  pages: readonly BuiltPage[],
  basePath: string,
  assetExists: (path: string) => boolean = () => false,
): string[] {
  const base = `/${basePath.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
  const byPath = new Map(pages.map((p) => [p.path, p]));
  const idsOf = new Map<string, Set<string>>();
  const idsIn = (page: BuiltPage): Set<string> => {
    if (!idsOf.has(page.path)) idsOf.set(page.path, ids(page.html));
    return idsOf.get(page.path)!;
  };
  const problems: string[] = [];
  for (const page of pages) {
    const here = new URL(base + page.path, ORIGIN);
    for (const href of hrefs(page.html)) {
      const url = new URL(href, here);
      if (url.origin !== ORIGIN) continue; // another site: not ours to check
      const where = `/${page.path} → ${href}`;
      if (!url.pathname.startsWith(base)) {
        problems.push(`${where}: points outside the site's base path ${base}`);
        continue;
      }
      const path = decodeURIComponent(url.pathname.slice(base.length));
      const target = byPath.get(path) ?? byPath.get(path.endsWith('/') ? path : `${path}/`);
      if (!target) {
        if (!assetExists(path)) problems.push(`${where}: no page or file /${path}`);
        continue;
      }
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor !== '' && !idsIn(target).has(anchor)) {
        problems.push(`${where}: /${target.path} has no element with id "${anchor}"`);
      }
    }
  }
  return problems;
}

/** The pages of a built site folder (`index.html` files, keyed by their folder, and other `.html` files). */
export function readBuiltSite(dir: string): BuiltPage[] {
  const walk = (folder: string): string[] =>
    readdirSync(folder).flatMap((name) => {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) return name === '_astro' ? [] : walk(path);
      return name.endsWith('.html') ? [path] : [];
    });
  return walk(dir).map((file) => {
    const rel = relative(dir, file).split(sep).join('/');
    const path = rel === 'index.html' ? '' : rel.endsWith('/index.html') ? rel.slice(0, -'index.html'.length) : rel;
    return { path, html: readFileSync(file, 'utf8') };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir = 'dist', basePath = process.env.BASE_PATH ?? '/'] = process.argv.slice(2);
  const problems = brokenLinks(readBuiltSite(dir), basePath, (path) => existsSync(join(dir, path)));
  for (const problem of problems) console.error(problem);
  console.log(problems.length === 0 ? `No broken links in ${dir}/.` : `${problems.length} broken links in ${dir}/.`);
  process.exit(problems.length === 0 ? 0 : 1);
}
