// The notebook formats: Markdown (the examples') and the versioned JSON export, and the share codec.
import { readdirSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  fromJson,
  fromMarkdown,
  MAX_NOTEBOOK_BYTES,
  NOTEBOOK_VERSION,
  parseNotebookFile,
  toJson,
  toMarkdown,
  type Notebook,
} from '../../playground/notebook.ts';
import { decodeShare, encodeShare, MAX_SHARE_CHARS } from '../../playground/share.ts';

const SAMPLE: Notebook = {
  title: 'Route: a "sentence" # not a comment',
  summary: "It's got quotes, colons: and a trailing space ",
  lesson: 'moe-in-your-browser',
  params: { checkpoint: 'e8-top2', topK: 2, greedy: true, text: 'a: b # c', weird: 'it\'s "quoted"' },
  cells: [
    { kind: 'markdown', source: 'Prose with $x^2$ and\n\n$$\\sum_i p_i = 1$$' },
    { kind: 'code', source: 'const model = await lab.load(params.checkpoint as string);\n\nmodel' },
    { kind: 'markdown', source: '## A heading\n\n```js\nnot a cell: its info string is js\n```' },
    { kind: 'code', source: 'const md = "```ts inside a string ```";\n// ```` four too\nmd' },
    { kind: 'code', source: '' },
  ],
};

const ok = (parsed: ReturnType<typeof fromJson>): Notebook => {
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.notebook;
};
const problem = (parsed: ReturnType<typeof fromJson>): string => {
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.problem;
};

describe('the Markdown format', () => {
  it('reads cells: every ```ts fence is a code cell, the prose between is a Markdown cell', () => {
    const notebook = ok(
      fromMarkdown('---\ntitle: T\nsummary: S\n---\n\nIntro.\n\n```ts\nconst a = 1;\n```\nMiddle.\n```ts\na\n```\n'),
    );
    expect(notebook.cells).toEqual([
      { kind: 'markdown', source: 'Intro.' },
      { kind: 'code', source: 'const a = 1;' },
      { kind: 'markdown', source: 'Middle.' },
      { kind: 'code', source: 'a' },
    ]);
    expect(notebook).toMatchObject({ title: 'T', summary: 'S', lesson: '', params: {} });
  });

  it('writes what it reads: export then import gives the same notebook', () => {
    expect(ok(fromMarkdown(toMarkdown(SAMPLE)))).toEqual(SAMPLE);
  });

  it('reads every example notebook, and its frontmatter as a YAML parser does', () => {
    const files = readdirSync('notebooks').filter((f) => f.endsWith('.md'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const text = readFileSync(`notebooks/${file}`, 'utf8');
      const notebook = ok(fromMarkdown(text));
      const yaml = parseYaml(/^---\n([\s\S]*?)\n---/.exec(text)![1]!) as Record<string, unknown>;
      expect({ title: notebook.title, summary: notebook.summary, lesson: notebook.lesson }, file).toEqual({
        title: yaml.title,
        summary: yaml.summary ?? '',
        lesson: yaml.lesson ?? '',
      });
      expect(notebook.params, file).toEqual(yaml.params ?? {});
      const fences = text.split('\n').filter((l) => /^```ts\s*$/.test(l)).length;
      expect(notebook.cells.filter((c) => c.kind === 'code').length, file).toBe(fences);
    }
  });

  it('says what is wrong with a broken file', () => {
    expect(problem(fromMarkdown('# Just a heading'))).toMatch(/no frontmatter/);
    expect(problem(fromMarkdown('---\ntitle: T\n'))).toMatch(/not closed/);
    expect(problem(fromMarkdown('---\nsummary: S\n---\n'))).toMatch(/no title/);
    expect(problem(fromMarkdown('---\ntitle: T\n---\n```ts\nconst a = 1;\n'))).toMatch(/line 4 is not closed/);
    expect(problem(fromMarkdown('---\ntitle: "T\n---\n'))).toMatch(/not closed/);
    expect(problem(fromMarkdown('---\ntitle: T\nlesson: Not A Slug\n---\n'))).toMatch(/lesson/);
    expect(problem(fromMarkdown('---\ntitle: Routing: a tour\n---\n'))).toMatch(/double quotes/);
  });
});

describe('the JSON export', () => {
  it('round-trips a notebook exactly, and says its format and version', () => {
    const json = toJson(SAMPLE);
    expect(JSON.parse(json)).toMatchObject({ format: 'moe-notebook', version: NOTEBOOK_VERSION });
    expect(ok(fromJson(json))).toEqual(SAMPLE);
  });

  it('refuses garbage, other JSON, another version, bad cells and files too large, each with its reason', () => {
    expect(problem(fromJson('{"format": "moe-notebook", "version": 1, "title": "x", "cells": [}'))).toMatch(
      /not valid JSON/,
    );
    expect(problem(fromJson('{"name": "package.json"}'))).toMatch(/not a MoE Lab notebook/);
    expect(problem(fromJson(JSON.stringify({ ...JSON.parse(toJson(SAMPLE)), version: 2 })))).toMatch(
      /format version 2; this site reads version 1.*newer MoE Lab/,
    );
    expect(problem(fromJson(JSON.stringify({ ...JSON.parse(toJson(SAMPLE)), version: '1' })))).toMatch(/version "1"/);
    const badCell = { ...JSON.parse(toJson(SAMPLE)), cells: [{ kind: 'code', source: 'a' }, { kind: 'html' }] };
    expect(problem(fromJson(JSON.stringify(badCell)))).toMatch(/Cell 2 is not a cell/);
    const badParam = { ...JSON.parse(toJson(SAMPLE)), params: { k: [1, 2] } };
    expect(problem(fromJson(JSON.stringify(badParam)))).toMatch(/parameter "k"/);
    const huge = toJson({ ...SAMPLE, cells: [{ kind: 'code', source: 'x'.repeat(MAX_NOTEBOOK_BYTES) }] });
    expect(problem(fromJson(huge))).toMatch(/at most 1 MB/);
  });

  it('picks the reader by file name', () => {
    expect(ok(parseNotebookFile('a.moe-notebook.json', toJson(SAMPLE)))).toEqual(SAMPLE);
    expect(ok(parseNotebookFile('a.md', toMarkdown(SAMPLE)))).toEqual(SAMPLE);
    expect(problem(parseNotebookFile('a.md', toJson(SAMPLE)))).toMatch(/no frontmatter/);
  });
});

describe('the share codec', () => {
  it('round-trips a notebook exactly through a link hash, shorter than the JSON', () => {
    const hash = encodeShare(SAMPLE);
    expect(hash).toMatch(/^nb=[A-Za-z0-9_-]+$/);
    expect(ok(decodeShare(`#${hash}`))).toEqual(SAMPLE);
    const example = ok(fromMarkdown(readFileSync('notebooks/route-a-sentence.md', 'utf8')));
    expect(encodeShare(example).length).toBeLessThan(toJson(example).length);
  });

  it('reads a link another zlib wrote (the format is plain zlib + base64url)', () => {
    const payload = deflateSync(Buffer.from(toJson(SAMPLE))).toString('base64url');
    expect(ok(decodeShare(`nb=${payload}`))).toEqual(SAMPLE);
  });

  it('tells a cut-off link, a damaged one, a foreign one and an oversized one apart', () => {
    const hash = encodeShare(SAMPLE);
    for (const cut of [hash.length - 1, hash.length - 7, Math.floor(hash.length / 2)]) {
      expect(problem(decodeShare(hash.slice(0, cut)))).toMatch(/cut off or damaged/);
    }
    expect(problem(decodeShare('nb=abc$def'))).toMatch(/characters a shared link never has/);
    expect(problem(decodeShare('section-2'))).toMatch(/no notebook/);
    expect(problem(decodeShare(`nb=${'A'.repeat(MAX_SHARE_CHARS + 4)}`))).toMatch(/at most 200,000/);
    const otherJson = deflateSync(Buffer.from('{"hello": 1}')).toString('base64url');
    expect(problem(decodeShare(`nb=${otherJson}`))).toMatch(
      /cannot be opened. This JSON file is not a MoE Lab notebook/,
    );
  });
});
