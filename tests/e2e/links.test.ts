// Every internal link of the built site leads to a page and an anchor that exist (scripts/check-links.ts).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brokenLinks, readBuiltSite } from '../../scripts/check-links.ts';

describe('links', () => {
  it('no page links to a missing lesson, page or anchor', () => {
    const dir = process.env.E2E_OUT_DIR ?? '';
    assert.ok(dir !== '', 'run through `npm run test:e2e`, which says where it built the site');
    const problems = brokenLinks(readBuiltSite(dir), new URL(process.env.E2E_SITE_URL ?? '').pathname, (path) =>
      existsSync(join(dir, path)),
    );
    assert.deepEqual(problems, []);
  });
});
