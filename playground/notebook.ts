// The notebook: prose (Markdown with math) and TypeScript cells, in two file formats that carry the same
// cells. `.md` is the example notebooks' format (notebooks/*.md: YAML-like frontmatter, then Markdown where
// each ```ts fence is a code cell); `.moe-notebook.json` is the export format, versioned. Both readers
// never throw: bad input becomes a sentence the reader can act on.

/** The version of `.moe-notebook.json` this site writes and reads. */
export const NOTEBOOK_FORMAT = 'moe-notebook';
export const NOTEBOOK_VERSION = 1;
/** Larger files are refused before parsing: a notebook is text, and a megabyte is hundreds of pages. */
export const MAX_NOTEBOOK_BYTES = 1_000_000;
export const MAX_CELLS = 500;

export type CellKind = 'markdown' | 'code';
export interface Cell {
  kind: CellKind;
  source: string;
}

/** A value an "Open in playground" link may override, typed by its default. */
export type ParamValue = string | number | boolean;

export interface Notebook {
  title: string;
  summary: string;
  /** Slug of the lesson it extends (lessons/<slug>.mdx), or '' for the reader's own notebooks. */
  lesson: string;
  params: Record<string, ParamValue>;
  cells: Cell[];
}

export type Parsed = { ok: true; notebook: Notebook } | { ok: false; problem: string };

const fail = (problem: string): Parsed => ({ ok: false, problem });

export function emptyNotebook(title = 'Untitled notebook'): Notebook {
  return { title, summary: '', lesson: '', params: {}, cells: [{ kind: 'code', source: '' }] };
}

// ---------------------------------------------------------------- JSON (.moe-notebook.json)

/**
 * The export format, version 1:
 * `{ "format": "moe-notebook", "version": 1, "title", "summary", "lesson", "params": {name: string|number|boolean},
 *    "cells": [{ "kind": "markdown" | "code", "source": string }] }`.
 */
export function toJson(notebook: Notebook): string {
  const { title, summary, lesson, params, cells } = notebook;
  const file = { format: NOTEBOOK_FORMAT, version: NOTEBOOK_VERSION, title, summary, lesson, params, cells };
  return JSON.stringify(file, null, 2) + '\n';
}

export function fromJson(text: string): Parsed {
  if (byteLength(text) > MAX_NOTEBOOK_BYTES) return fail(tooLarge(text));
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(`This is not a MoE Lab notebook: it is not valid JSON (${reason}).`);
  }
  if (!isRecord(data) || data.format !== NOTEBOOK_FORMAT) {
    return fail(
      `This JSON file is not a MoE Lab notebook: it has no "format": "${NOTEBOOK_FORMAT}" field. Export a notebook from the playground to get one.`,
    );
  }
  if (data.version !== NOTEBOOK_VERSION) {
    const newer = typeof data.version === 'number' && data.version > NOTEBOOK_VERSION;
    return fail(
      `This notebook is in format version ${JSON.stringify(data.version)}; this site reads version ${NOTEBOOK_VERSION}.` +
        (newer ? ' It was saved by a newer MoE Lab: open it there, or reload this page to get the new version.' : ''),
    );
  }
  return checkNotebook({
    title: data.title,
    summary: data.summary ?? '',
    lesson: data.lesson ?? '',
    params: data.params ?? {},
    cells: data.cells,
  });
}

/** Checks a notebook-shaped value field by field; the first problem is reported. */
export function checkNotebook(data: Record<string, unknown>): Parsed {
  const { title, summary, lesson, params, cells } = data;
  if (typeof title !== 'string' || title.trim() === '') return fail('The notebook has no title (a non-empty "title").');
  if (typeof summary !== 'string') return fail('The notebook\'s "summary" must be text.');
  if (typeof lesson !== 'string' || !/^[a-z0-9-]*$/.test(lesson)) {
    return fail('The notebook\'s "lesson" must be a lesson\'s slug, such as "moe-equation", or empty.');
  }
  if (!isRecord(params)) return fail('The notebook\'s "params" must be an object of names and values.');
  for (const [name, value] of Object.entries(params)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) return fail(`The parameter name "${name}" is not a valid identifier.`);
    if (!['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'number' && !isFinite(value))) {
      return fail(`The parameter "${name}" must be a string, a finite number or true/false.`);
    }
  }
  if (!Array.isArray(cells)) return fail('The notebook has no "cells" list.');
  if (cells.length > MAX_CELLS) return fail(`The notebook has ${cells.length} cells; at most ${MAX_CELLS} are read.`);
  const checked: Cell[] = [];
  for (const [i, cell] of cells.entries()) {
    if (!isRecord(cell) || (cell.kind !== 'markdown' && cell.kind !== 'code') || typeof cell.source !== 'string') {
      return fail(`Cell ${i + 1} is not a cell: each needs a "kind" ("markdown" or "code") and a "source" text.`);
    }
    checked.push({ kind: cell.kind, source: cell.source });
  }
  const notebook = {
    title: title.trim(),
    summary,
    lesson,
    params: params as Record<string, ParamValue>,
    cells: checked,
  };
  return { ok: true, notebook };
}

// ---------------------------------------------------------------- Markdown (.md)

const OPEN_FENCE = /^(`{3,})ts[ \t]*$/;

/** The Markdown format: frontmatter between `---` lines, then prose where each ```ts fence is a code cell. */
export function toMarkdown(notebook: Notebook): string {
  const head = ['---', `title: ${quote(notebook.title)}`, `summary: ${quote(notebook.summary)}`];
  if (notebook.lesson) head.push(`lesson: ${notebook.lesson}`);
  const params = Object.entries(notebook.params);
  if (params.length > 0) {
    head.push('params:');
    for (const [name, value] of params) head.push(`  ${name}: ${typeof value === 'string' ? quote(value) : value}`);
  }
  head.push('---');
  const body = notebook.cells.map((cell) => {
    if (cell.kind === 'markdown') return cell.source;
    // A fence longer than any run of backticks in the code, so code that contains ``` survives.
    const longest = Math.max(2, ...[...cell.source.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = '`'.repeat(longest + 1);
    return `${fence}ts\n${cell.source}\n${fence}`;
  });
  return `${head.join('\n')}\n\n${body.join('\n\n')}\n`;
}

export function fromMarkdown(text: string): Parsed {
  if (byteLength(text) > MAX_NOTEBOOK_BYTES) return fail(tooLarge(text));
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[0] !== '---') {
    return fail('This Markdown file has no frontmatter: a notebook starts with a "---" line, then "title: …".');
  }
  const end = lines.indexOf('---', 1);
  if (end === -1) return fail('The frontmatter is not closed: add a "---" line after it.');
  const front = parseFrontmatter(lines.slice(1, end));
  if (!front.ok) return front;
  const cells: Cell[] = [];
  let prose: string[] = [];
  const flushProse = (): void => {
    const source = trimBlankLines(prose).join('\n');
    if (source !== '') cells.push({ kind: 'markdown', source });
    prose = [];
  };
  for (let i = end + 1; i < lines.length; i++) {
    const open = OPEN_FENCE.exec(lines[i]!);
    if (!open) {
      prose.push(lines[i]!);
      continue;
    }
    const fence = open[1]!;
    const close = lines.findIndex((line, j) => j > i && line.startsWith(fence) && /^`+[ \t]*$/.test(line));
    if (close === -1) return fail(`The code cell that starts on line ${i + 1} is not closed: add a ${fence} line.`);
    flushProse();
    cells.push({ kind: 'code', source: lines.slice(i + 1, close).join('\n') });
    i = close;
  }
  flushProse();
  return checkNotebook({ ...front.fields, cells });
}

type FrontValue = ParamValue | Record<string, ParamValue>;

/**
 * The frontmatter's small YAML subset: `key: value` lines, one level of nesting for `params:`, values that
 * are numbers, true/false, double-quoted strings (JSON escapes), single-quoted strings ('' for a quote) or
 * bare text; `#` starts a comment.
 */
function parseFrontmatter(
  lines: string[],
): { ok: true; fields: Record<string, FrontValue> } | { ok: false; problem: string } {
  const fields: Record<string, FrontValue> = { summary: '', lesson: '', params: {} };
  let nested: Record<string, ParamValue> | null = null;
  for (const [i, line] of lines.entries()) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const match = /^(\s*)([A-Za-z_$][\w$]*):(?:[ \t]+(.*))?$/.exec(line);
    if (!match) return { ok: false, problem: `Frontmatter line ${i + 2} is not "name: value": "${line.trim()}".` };
    const [, indent = '', key = '', raw = ''] = match;
    const value = raw === '' ? null : scalar(raw);
    if (value !== null && typeof value === 'object') {
      return { ok: false, problem: `Frontmatter line ${i + 2}: ${value.problem}` };
    }
    if (indent !== '') {
      if (!nested) return { ok: false, problem: `Frontmatter line ${i + 2} is indented but belongs to no list.` };
      if (value === null) return { ok: false, problem: `The parameter "${key}" on line ${i + 2} has no value.` };
      nested[key] = value;
    } else if (value === null) {
      nested = {};
      fields[key] = nested;
    } else {
      nested = null;
      fields[key] = value;
    }
  }
  return { ok: true, fields };
}

function scalar(raw: string): ParamValue | { problem: string } {
  if (raw.startsWith("'")) {
    // YAML's single quotes (Prettier writes them): no escapes but '' for a quote.
    const match = /^'((?:[^']|'')*)'\s*(#.*)?$/.exec(raw);
    if (!match) return { problem: `the quoted text ${raw} is not closed.` };
    return match[1]!.replace(/''/g, "'");
  }
  const text = raw.startsWith('"') ? raw : raw.replace(/\s+#.*$/, '').trim();
  if (text.startsWith('"')) {
    const close = closingQuote(text);
    const rest = close === -1 ? '' : text.slice(close + 1).trim();
    if (close === -1 || (rest !== '' && !rest.startsWith('#')))
      return { problem: `the quoted text ${raw} is not closed.` };
    try {
      return JSON.parse(text.slice(0, close + 1)) as string;
    } catch {
      return { problem: `the quoted text ${raw} has an invalid escape.` };
    }
  }
  // As in YAML, a bare value cannot hold ": " (it would start a mapping): such text must be quoted.
  if (/:\s/.test(text)) return { problem: `put the text ${raw} in double quotes: it contains ": ".` };
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) return Number(text);
  return text;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Quoted as JSON, which is also valid YAML, so a title with ": " or "#" reads back the same. */
function quote(text: string): string {
  return JSON.stringify(text);
}

function trimBlankLines(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end);
}

// ---------------------------------------------------------------- reading a file of either kind

/** Reads an imported file by its name and content: `.md` as Markdown, anything else as the JSON export. */
export function parseNotebookFile(name: string, text: string): Parsed {
  if (/\.(md|markdown)$/i.test(name)) return fromMarkdown(text);
  if (/\.json$/i.test(name) || text.trimStart().startsWith('{')) return fromJson(text);
  return fromMarkdown(text);
}

/** The name an export is saved under: "Route a sentence" → "route-a-sentence.moe-notebook.json". */
export function fileStem(title: string): string {
  const stem = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return stem || 'notebook';
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function tooLarge(text: string): string {
  const mb = (byteLength(text) / 1e6).toFixed(1);
  return `This file is ${mb} MB; a notebook may be at most ${MAX_NOTEBOOK_BYTES / 1e6} MB. Is it the right file?`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
