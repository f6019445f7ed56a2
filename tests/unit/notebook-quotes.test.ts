// The example notebooks are formatted by Prettier, which writes YAML strings in single quotes: the
// frontmatter reader takes them as YAML does ('' is one quote), not as text with quotes around it.
import { describe, expect, it } from 'vitest';
import { fromMarkdown } from '../../playground/notebook.ts';

const file = (front: string) => `---\n${front}\n---\n\n\`\`\`ts\n1\n\`\`\`\n`;

describe('frontmatter strings', () => {
  it("reads single-quoted values, with '' as a quote", () => {
    const parsed = fromMarkdown(
      file("title: 'A: title'\nparams:\n  x: '0.8,-0.5'\n  said: 'it''s'  # a comment\n  empty: ''"),
    );
    expect(parsed.ok && parsed.notebook.title).toBe('A: title');
    expect(parsed.ok && parsed.notebook.params).toEqual({ x: '0.8,-0.5', said: "it's", empty: '' });
  });

  it('refuses an unclosed single quote with a sentence', () => {
    expect(fromMarkdown(file("title: 'open"))).toEqual({
      ok: false,
      problem: "Frontmatter line 2: the quoted text 'open is not closed.",
    });
  });
});
