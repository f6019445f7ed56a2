// What a cell shows, as plain data. The guest worker turns any value into a `Shown` tree (bounded in depth
// and length, so a cell that displays a million-element array or a cyclic object costs a few kilobytes);
// the page renders the tree with text nodes only. No HTML from a cell ever reaches the site's DOM: a Plot
// chart arrives as an SVG document, drawn in the sandbox frame, that the page shows as an image.

export type Shown =
  | { kind: 'undefined' }
  | { kind: 'null' }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: string }
  | { kind: 'string'; value: string; truncated: number }
  | { kind: 'symbol'; value: string }
  | { kind: 'function'; name: string }
  | { kind: 'date'; value: string }
  | { kind: 'error'; name: string; message: string; line: number | null }
  | { kind: 'array'; ctor: string; length: number; items: Shown[] }
  | { kind: 'object'; ctor: string; entries: [string, Shown][]; more: number }
  | { kind: 'table'; columns: string[]; rows: Shown[][]; length: number }
  | { kind: 'tensor'; shape: number[]; dtype: string; values: Shown }
  | { kind: 'cycle' }
  | { kind: 'deep' }
  | { kind: 'plotSpec'; spec: PlotSpecData }
  | { kind: 'plot'; svg: string; width: number; height: number }
  | { kind: 'download'; name: string; bytes: Uint8Array };

/** A chart as data: each mark's name, its rows, and options whose channel functions were already applied. */
export interface PlotSpecData {
  options: Record<string, unknown>;
  marks: { mark: string; data: unknown[] | null; options: Record<string, unknown> }[];
}

/** A cell's output stream, in order: displayed values, console lines, and the cell's value or error last. */
export type OutputItem =
  | { type: 'display'; value: Shown }
  | { type: 'log'; level: 'log' | 'info' | 'warn' | 'error' | 'debug'; values: Shown[] }
  | { type: 'value'; value: Shown }
  | { type: 'error'; value: Extract<Shown, { kind: 'error' }> };

export const LIMITS = {
  /** Array items and object entries shown per level. */
  items: 100,
  /** Nesting levels shown; deeper values read "…". */
  depth: 5,
  /** Characters of one string. */
  chars: 20_000,
  /** Rows of a table. */
  rows: 200,
  /** Columns of a table. */
  columns: 20,
  /** Bytes of one download (a trained model's zip is a few MB). */
  downloadBytes: 500_000_000,
};

/** Marks an object the guest worker's `download(name, bytes)` made. */
export const DOWNLOAD_TAG = '__moeDownload';
/** Marks an object `Plot.plot(...)` made in the worker, to be drawn by the sandbox frame. */
export const PLOT_TAG = '__moePlot';

export function show(value: unknown, depth = 0, seen: Set<object> = new Set()): Shown {
  switch (typeof value) {
    case 'undefined':
      return { kind: 'undefined' };
    case 'boolean':
      return { kind: 'boolean', value };
    case 'number':
      return { kind: 'number', value };
    case 'bigint':
      return { kind: 'bigint', value: value.toString() };
    case 'string':
      return {
        kind: 'string',
        value: value.slice(0, LIMITS.chars),
        truncated: Math.max(0, value.length - LIMITS.chars),
      };
    case 'symbol':
      return { kind: 'symbol', value: value.toString() };
    case 'function':
      return { kind: 'function', name: value.name || '(anonymous)' };
  }
  if (value === null) return { kind: 'null' };
  const object = value as object;
  if (seen.has(object)) return { kind: 'cycle' };
  if (object instanceof Error) return showError(object, null);
  if (object instanceof Date) return { kind: 'date', value: isNaN(+object) ? 'Invalid Date' : object.toISOString() };
  if (depth >= LIMITS.depth) return { kind: 'deep' };
  seen.add(object);
  try {
    const tensor = asTensor(object);
    if (tensor) return { kind: 'tensor', ...tensor, values: show(tensor.values, depth + 1, seen) };
    if (Array.isArray(object) || ArrayBuffer.isView(object)) {
      const list = object as ArrayLike<unknown>;
      const table = depth === 0 ? asTable(list, seen) : null;
      if (table) return table;
      return {
        kind: 'array',
        ctor: ctorName(object),
        length: list.length,
        items: Array.from({ length: Math.min(list.length, LIMITS.items) }, (_, i) => show(list[i], depth + 1, seen)),
      };
    }
    if (object instanceof Map) {
      const entries = [...object.entries()];
      return {
        kind: 'object',
        ctor: 'Map',
        entries: entries.slice(0, LIMITS.items).map(([k, v]) => [keyText(k), show(v, depth + 1, seen)]),
        more: Math.max(0, entries.length - LIMITS.items),
      };
    }
    if (object instanceof Set) {
      const items = [...object];
      return {
        kind: 'array',
        ctor: 'Set',
        length: items.length,
        items: items.slice(0, LIMITS.items).map((v) => show(v, depth + 1, seen)),
      };
    }
    const keys = Object.keys(object);
    return {
      kind: 'object',
      ctor: ctorName(object),
      entries: keys.slice(0, LIMITS.items).map((k) => [k, show(readKey(object, k), depth + 1, seen)]),
      more: Math.max(0, keys.length - LIMITS.items),
    };
  } finally {
    seen.delete(object);
  }
}

export function showError(error: unknown, line: number | null): Extract<Shown, { kind: 'error' }> {
  if (error instanceof Error) return { kind: 'error', name: error.name, message: error.message, line };
  return { kind: 'error', name: 'Error', message: `A value was thrown: ${String(error)}`, line };
}

/**
 * A tensor as data: the lab's tensors arrive as `{ shape, dtype, values }` (structured-clone data, never a
 * live tfjs object); anything of that shape whose value count matches its shape is shown as one.
 */
function asTensor(object: object): { shape: number[]; dtype: string; values: unknown } | null {
  const { shape, dtype, values } = object as { shape?: unknown; dtype?: unknown; values?: unknown };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || typeof dtype !== 'string') {
    return null;
  }
  if (!(Array.isArray(values) || ArrayBuffer.isView(values))) return null;
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if ((values as ArrayLike<unknown>).length !== size) return null;
  return { shape: shape as number[], dtype, values };
}

/** An array of plain records (same kind of rows) reads best as a table. */
function asTable(list: ArrayLike<unknown>, seen: Set<object>): Shown | null {
  if (list.length === 0 || ArrayBuffer.isView(list)) return null;
  const rows = Array.from({ length: Math.min(list.length, LIMITS.rows) }, (_, i) => list[i]);
  if (!rows.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && ctorName(r) === 'Object')) {
    return null;
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
  if (columns.length === 0 || columns.length > LIMITS.columns) return null;
  return {
    kind: 'table',
    columns,
    length: list.length,
    rows: rows.map((r) => columns.map((c) => show(readKey(r as object, c), LIMITS.depth - 1, seen))),
  };
}

function readKey(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch (error) {
    return error;
  }
}

function ctorName(object: object): string {
  const proto = Object.getPrototypeOf(object) as { constructor?: { name?: string } } | null;
  return proto === null ? 'Object' : (proto.constructor?.name ?? 'Object');
}

function keyText(key: unknown): string {
  return typeof key === 'string' ? key : String(key);
}

/** One line of text for a value, as a console shows it (the inspector's collapsed form). */
export function summary(value: Shown): string {
  switch (value.kind) {
    case 'undefined':
    case 'null':
      return value.kind;
    case 'boolean':
      return String(value.value);
    case 'number':
      return Object.is(value.value, -0) ? '-0' : String(value.value);
    case 'bigint':
      return `${value.value}n`;
    case 'string':
      return JSON.stringify(value.value.length > 80 ? value.value.slice(0, 80) + '…' : value.value);
    case 'symbol':
      return value.value;
    case 'function':
      return `ƒ ${value.name}()`;
    case 'date':
      return value.value;
    case 'error':
      return `${value.name}: ${value.message}`;
    case 'array':
      return `${value.ctor}(${value.length})`;
    case 'object':
      return `${value.ctor === 'Object' ? '' : value.ctor + ' '}{${value.entries
        .slice(0, 4)
        .map(([k]) => k)
        .join(', ')}${value.entries.length > 4 || value.more ? ', …' : ''}}`;
    case 'table':
      return `table of ${value.length} rows`;
    case 'tensor':
      return `Tensor ${value.dtype} [${value.shape.join('×')}]`;
    case 'cycle':
      return '(cycle)';
    case 'deep':
      return '…';
    case 'plot':
    case 'plotSpec':
      return 'Plot';
    case 'download':
      return `download ${value.name}`;
  }
}
