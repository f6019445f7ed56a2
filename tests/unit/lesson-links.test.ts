// No lesson may point at a lesson or an anchor that does not exist. The link checker reads built HTML
// (tests/e2e/links.test.ts runs it on the real build); here it is tested on a fixture site with broken
// links, and the lesson sources are checked for references to other lessons that are not links.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, readBuiltSite } from '../../scripts/check-links.ts';

describe('the link checker', () => {
  it('finds a link to a missing lesson, a missing anchor, a missing citation and a link without the base', () => {
    const problems = brokenLinks(readBuiltSite('tests/fixtures/broken-links'), '/moe-lab');
    expect(problems.sort()).toEqual(
      [
        '/lessons/first/ → #cite-jacobs1991: /lessons/first/ has no element with id "cite-jacobs1991"',
        '/lessons/first/ → ../load-balancing/: no page or file /lessons/load-balancing/',
        '/lessons/first/ → ../second/#no-such-heading: /lessons/second/ has no element with id "no-such-heading"',
        "/lessons/second/ → /lessons/first/: points outside the site's base path /moe-lab/",
      ].sort(),
    );
  });

  it('accepts the fixture once its broken links are gone', () => {
    const pages = readBuiltSite('tests/fixtures/broken-links').map((p) => ({
      ...p,
      html: p.html.replace(
        /<a href="(#cite-jacobs1991|\.\.\/load-balancing\/|\.\.\/second\/#no-such-heading|\/lessons\/first\/)">/g,
        '<a>',
      ),
    }));
    expect(brokenLinks(pages, '/moe-lab')).toEqual([]);
  });
});

describe('the lessons', () => {
  const lessons = readdirSync('lessons').filter((f) => f.endsWith('.mdx'));
  // "the next lesson", "a later lesson", "lesson 2", "the last two lessons": each must be a link's text.
  const REFERENCE =
    /\b(?:(?:the|a|an)\s+)?(?:next|previous|last|earlier|later|first|coming)(?:\s+(?:two|few))?\s+lessons?\b|\blessons?\s+\d\b|\bthe lesson on\b/gi;

  it.each(lessons)('%s mentions other lessons only inside links', (file) => {
    const source = readFileSync(join('lessons', file), 'utf8').replace(/^---[\s\S]*?\n---\n/, '');
    // Text inside [link text](…) is a link; everything else must not refer to another lesson.
    const outsideLinks = source.replace(/\[[^\]]*\]\([^)]*\)/g, '');
    const unlinked = [...outsideLinks.matchAll(REFERENCE)].map((m) => m[0]);
    expect(unlinked, 'make these links to the lesson they mean (or drop them if it does not exist)').toEqual([]);
  });
});
