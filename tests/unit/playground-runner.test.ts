// The cell runner: TypeScript cells in one shared scope, top-level await, the last expression's value,
// display and console, errors at the cell's own lines; and how values become plain data to show.
import { describe, expect, it } from 'vitest';
import { CellRunner } from '../../playground/runner.ts';
import { compileCell } from '../../playground/transform.ts';
import { plotApi } from '../../playground/plot-spec.ts';
import { installMemoryGuard, MAX_ALLOCATION_BYTES } from '../../playground/sandbox/memory-guard.ts';
import { LIMITS, show, type OutputItem, type Shown } from '../../playground/values.ts';

async function run(runner: CellRunner, source: string, id: number): Promise<{ ok: boolean; out: OutputItem[] }> {
  const out: OutputItem[] = [];
  const ok = await runner.run(source, id, (item) => out.push(item));
  return { ok, out };
}

const valueOf = (out: OutputItem[]): Shown | undefined => out.find((o) => o.type === 'value')?.value;
const errorOf = (out: OutputItem[]) => out.find((o) => o.type === 'error')?.value;

describe('the cell runner', () => {
  it('shares top-level names across cells: const, let, destructuring, functions, classes', async () => {
    const runner = new CellRunner({});
    const first = await run(
      runner,
      [
        'const a: number = 2;',
        'let { b, c: [d] }: { b: number; c: number[] } = { b: 3, c: [4] }, unset;',
        'function twice(n: number): number { return 2 * n; }',
        'class Box<T> { constructor(public value: T) {} }',
        'interface Unused { x: number }',
      ].join('\n'),
      1,
    );
    expect(first).toEqual({ ok: true, out: [] });
    const second = await run(runner, 'twice(a + b + d) + new Box(1).value + (unset === undefined ? 100 : 0)', 2);
    expect(valueOf(second.out)).toEqual({ kind: 'number', value: 119 });
  });

  it('a later cell can redefine a name, and re-running a cell starts from the scope as it is', async () => {
    const runner = new CellRunner({});
    await run(runner, 'let count = 0', 1);
    await run(runner, 'count += 1; count', 2);
    const again = await run(runner, 'count += 1; count', 2);
    expect(valueOf(again.out)).toEqual({ kind: 'number', value: 2 });
    expect(valueOf((await run(runner, 'const count = "text"; count', 3)).out)).toMatchObject({ value: 'text' });
  });

  it('awaits at top level, and shows the value of the last expression only', async () => {
    const runner = new CellRunner({});
    const { out } = await run(runner, 'const x = await new Promise((r) => setTimeout(() => r(20), 5));\nx + 1;', 1);
    expect(out).toEqual([{ type: 'value', value: { kind: 'number', value: 21 } }]);
    expect((await run(runner, 'const y = 1;', 2)).out).toEqual([]);
    expect((await run(runner, 'for (const i of [1]) {}', 3)).out).toEqual([]);
  });

  it('sends display() and console lines to the running cell, in order', async () => {
    const runner = new CellRunner({});
    const fakeConsole = {} as Console;
    runner.captureConsole(fakeConsole);
    const scope = new CellRunner({ console: fakeConsole });
    scope.captureConsole(fakeConsole);
    const { out } = await run(scope, 'display("first");\nconsole.warn("careful", 2);\n"last"', 1);
    expect(out).toEqual([
      { type: 'display', value: { kind: 'string', value: 'first', truncated: 0 } },
      {
        type: 'log',
        level: 'warn',
        values: [
          { kind: 'string', value: 'careful', truncated: 0 },
          { kind: 'number', value: 2 },
        ],
      },
      { type: 'value', value: { kind: 'string', value: 'last', truncated: 0 } },
    ]);
  });

  it('reports a runtime error at the line of the cell it happened on, types and all', async () => {
    const runner = new CellRunner({});
    const source = [
      'interface Row {',
      '  p: number;',
      '}',
      'const rows: Row[] = [{ p: 1 }];',
      'const missing = (rows[3] as Row).p;',
    ].join('\n');
    const { ok, out } = await run(runner, source, 7);
    expect(ok).toBe(false);
    expect(errorOf(out)).toMatchObject({ name: 'TypeError', line: 5 });
    const thrown = await run(runner, '\n\nthrow new RangeError("too big")', 8);
    expect(errorOf(thrown.out)).toEqual({ kind: 'error', name: 'RangeError', message: 'too big', line: 3 });
  });

  it('reports a syntax error with its line, and refuses imports with a sentence', async () => {
    const runner = new CellRunner({});
    const syntax = await run(runner, 'const a = 1;\nconst b = ;', 1);
    expect(errorOf(syntax.out)).toMatchObject({ name: 'SyntaxError', line: 2 });
    const imported = await run(runner, "import { x } from 'y';\nx", 2);
    expect(errorOf(imported.out)?.message).toMatch(/cannot import/);
  });

  it('gives cells frozen params, which a cell may shadow with a name of its own', async () => {
    const runner = new CellRunner({ params: Object.freeze({ k: 2 }) });
    expect(valueOf((await run(runner, 'params.k', 1)).out)).toEqual({ kind: 'number', value: 2 });
    const assigned = await run(runner, '"use strict";\nparams.k = 3', 2);
    expect(errorOf(assigned.out)).toMatchObject({ name: 'TypeError', line: 2 });
    expect(valueOf((await run(runner, 'params.k', 3)).out)).toEqual({ kind: 'number', value: 2 });
    expect(valueOf((await run(runner, 'const params = { k: 9 };\nparams.k', 4)).out)).toEqual({
      kind: 'number',
      value: 9,
    });
  });

  it('compiles without moving any line: the cell’s line n is line n of the code', () => {
    const source = 'type A = {\n  x: number;\n};\nconst a: A = { x: 1 };\nenum E { One }\na';
    const compiled = compileCell(source, 1);
    if (!compiled.ok) throw new Error(compiled.message);
    const lines = compiled.code.split('\n');
    expect(lines[3]).toContain('a = { x: 1 }');
    expect(lines[5]).toContain('return (a)');
  });
});

describe('values as data', () => {
  it('shows arrays of rows as a table, other arrays and objects as trees', () => {
    expect(show([{ a: 1, b: 'x' }, { a: 2 }])).toEqual({
      kind: 'table',
      columns: ['a', 'b'],
      length: 2,
      rows: [
        [
          { kind: 'number', value: 1 },
          { kind: 'string', value: 'x', truncated: 0 },
        ],
        [{ kind: 'number', value: 2 }, { kind: 'undefined' }],
      ],
    });
    expect(show([1, [2]])).toMatchObject({ kind: 'array', length: 2, items: [{ value: 1 }, { kind: 'array' }] });
    expect(show(new Map([['k', 1]]))).toMatchObject({ kind: 'object', ctor: 'Map', entries: [['k', { value: 1 }]] });
  });

  it('shows tensors as shape, dtype and values', () => {
    const tensor = { shape: [2, 2], dtype: 'float32', values: new Float32Array([1, 2, 3, 4]) };
    expect(show(tensor)).toMatchObject({ kind: 'tensor', shape: [2, 2], dtype: 'float32', values: { length: 4 } });
    // A shape that does not match the values is not a tensor, whatever it is called.
    expect(show({ ...tensor, shape: [3] }).kind).toBe('object');
  });

  it('bounds what it sends: long arrays, long strings, deep nesting, cycles', () => {
    const long = show(Array.from({ length: 10_000 }, (_, i) => i));
    expect(long).toMatchObject({ kind: 'array', length: 10_000 });
    expect(long.kind === 'array' && long.items.length).toBe(LIMITS.items);
    expect(show('x'.repeat(LIMITS.chars + 5))).toMatchObject({ truncated: 5 });
    const cyclic: Record<string, unknown> = { name: 'me' };
    cyclic.self = cyclic;
    expect(show(cyclic)).toMatchObject({
      entries: [
        ['name', {}],
        ['self', { kind: 'cycle' }],
      ],
    });
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(JSON.stringify(show(deep))).toContain('"kind":"deep"');
  });
});

describe('Plot in the worker', () => {
  it('records a chart as data, with channel functions applied to each row', () => {
    const Plot = plotApi() as Record<string, (...args: unknown[]) => unknown>;
    const rows = [
      { step: 1, loss: 4 },
      { step: 2, loss: 3 },
    ];
    const chart = Plot.plot!({ marks: [Plot.lineY!(rows, { x: 'step', y: (d: { loss: number }) => d.loss * 2 })] });
    expect(chart).toMatchObject({
      spec: { options: {}, marks: [{ mark: 'lineY', data: rows, options: { x: 'step', y: [8, 6] } }] },
    });
    expect(() => Plot.binX).toThrow(/not available in the playground/);
    expect(() => Plot.plot!({ marks: [Plot.dot!(rows, {})], x: { tickFormat: () => '' } })).toThrow(/is a function/);
  });
});

describe('the memory guard', () => {
  it('refuses one allocation over the bound with a sentence, and leaves smaller ones and instanceof alone', () => {
    const scope: Record<string, unknown> = { ArrayBuffer, Uint8Array, Float64Array };
    installMemoryGuard(scope);
    const G = scope as unknown as {
      ArrayBuffer: typeof ArrayBuffer;
      Uint8Array: typeof Uint8Array;
      Float64Array: typeof Float64Array;
    };
    expect(() => new G.Uint8Array(2 * 1024 ** 3)).toThrow(/2.15 GB in one array.*at most 1 GB/);
    expect(() => new G.Float64Array(2 ** 28)).toThrow(RangeError);
    expect(() => new G.ArrayBuffer(MAX_ALLOCATION_BYTES + 1)).toThrow(/at most 1 GB/);
    expect(() => new G.Float64Array({ length: 2 ** 28 })).toThrow(RangeError);
    const small = new G.Uint8Array(16);
    expect(small).toBeInstanceOf(Uint8Array);
    expect(small instanceof G.Uint8Array).toBe(true);
    expect(G.Uint8Array.from([1, 2]).length).toBe(2);
  });
});
