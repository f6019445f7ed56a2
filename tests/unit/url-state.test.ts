// The widgets' URL-state schemas: every reachable state round-trips through a link, a bad link gets a
// sentence and the default, and one widget's parameters never disturb another's.
import { describe, expect, it } from 'vitest';
import { CHECKPOINTS } from '../../components/checkpoint-catalog.ts';
import { gateSchema } from '../../components/gate-state.ts';
import { paramCalculatorSchema } from '../../components/param-calculator-state.ts';
import { BACKEND_CHOICES } from '../../components/backends.ts';
import { MAX_TEXT_IN_URL, routerSchema } from '../../components/router-state.ts';
import { sparseBenchSchema } from '../../components/sparse-bench-state.ts';
import { defaults, readState, writeState, type Schema } from '../../components/url-state.ts';
import { BACKEND_PREFERENCE } from '../../models/engine/protocol.ts';

function roundTrip<S>(schema: Schema<S>, state: S): { state: S; problems: string[] } {
  return readState(schema, writeState(schema, state, new URLSearchParams()));
}

const link = (query: string): URLSearchParams => new URLSearchParams(query);

describe('URL state: lesson 1 (gate)', () => {
  it('round-trips a state other than the default', () => {
    const state = { n: 5, k: 3, x: [0.125, -2.5, 3, 0] };
    expect(roundTrip(gateSchema, state)).toEqual({ state, problems: [] });
  });

  it('replaces a bad value by its default with a sentence, and clamps K to N', () => {
    const { state, problems } = readState(gateSchema, link('gate.n=40&gate.x=1,2'));
    expect(state.n).toBe(8);
    expect(state.x).toEqual(defaults(gateSchema).x);
    expect(problems).toEqual([
      'The number of experts must be a whole number from 1 to 16; the link had "40".',
      'The input x must be 4 comma-separated numbers from -3 to 3; the link had "1,2".',
    ]);
    const clamped = readState(gateSchema, link('gate.n=3&gate.k=7'));
    expect(clamped.state).toMatchObject({ n: 3, k: 3 });
    expect(clamped.problems).toEqual(['K cannot exceed the number of experts (3); the link had 7, so K is 3.']);
  });

  it("keeps other widgets' parameters when writing", () => {
    const params = writeState(gateSchema, defaults(gateSchema), link('moe.k=4&other=1'));
    expect(params.get('moe.k')).toBe('4');
    expect(params.get('other')).toBe('1');
  });
});

describe('URL state: lesson 3 (router)', () => {
  it('round-trips every checkpoint, every backend and a text with URL-special characters', () => {
    for (const checkpoint of CHECKPOINTS) {
      for (const backend of BACKEND_CHOICES) {
        const state = {
          checkpoint: checkpoint.id,
          k: checkpoint.numExperts,
          backend,
          temperature: 0,
          text: 'a&b=c?d #e',
        };
        expect(roundTrip(routerSchema, state)).toEqual({ state, problems: [] });
      }
    }
  });

  it("offers exactly the engine's backends, after auto", () => {
    expect(BACKEND_CHOICES).toEqual(['auto', 'webgpu', 'webgl', 'wasm', 'cpu']);
    expect(BACKEND_CHOICES.slice(1)).toEqual([...BACKEND_PREFERENCE]);
  });

  it('clamps K to the chosen checkpoint and refuses unknown checkpoints and backends', () => {
    const { state, problems } = readState(routerSchema, link('moe.checkpoint=e4-top2&moe.k=9&moe.backend=metal'));
    expect(state).toMatchObject({ checkpoint: 'e4-top2', k: 4, backend: 'auto' });
    expect(problems).toEqual([
      'The backend must be one of auto, webgpu, webgl, wasm, cpu; the link had "metal".',
      "K cannot exceed the checkpoint's 4 experts; the link had 9, so K is 4.",
    ]);
    expect(readState(routerSchema, link('moe.checkpoint=gpt-5')).problems[0]).toMatch(
      /^The checkpoint must be one of /,
    );
  });

  it(`cuts a link's text longer than ${MAX_TEXT_IN_URL} characters to its beginning, with a sentence`, () => {
    const long = 'x'.repeat(MAX_TEXT_IN_URL + 1);
    const written = writeState(routerSchema, { ...defaults(routerSchema), text: long }, new URLSearchParams());
    expect(written.get('moe.text')).toHaveLength(MAX_TEXT_IN_URL);
    const read = readState(routerSchema, link(`moe.text=${long}`));
    expect(read.state.text).toBe('x'.repeat(MAX_TEXT_IN_URL));
    expect(read.problems).toEqual([
      `The text in the link is 1,001 characters long; links carry at most 1,000, so only its beginning is routed.`,
    ]);
  });
});

describe('URL state: lesson 2 (parameter calculator)', () => {
  it('round-trips a model with edits, context and batch', () => {
    const state = { model: 'mixtral-8x7b', edits: { num_experts_per_tok: 4 }, context: 4096, batch: 8 };
    expect(roundTrip(paramCalculatorSchema, state)).toEqual({ state, problems: [] });
  });

  it('drops edits to fields the model does not have, and malformed edits', () => {
    const unknown = readState(paramCalculatorSchema, link('calc.model=mixtral-8x7b&calc.edits=moe_top_k:3'));
    expect(unknown.state.edits).toEqual({});
    expect(unknown.problems).toEqual(["mixtral-8x7b has no editable moe_top_k, so the link's edit to it is left out."]);
    const malformed = readState(paramCalculatorSchema, link('calc.edits=hidden_size=-1'));
    expect(malformed.problems[0]).toMatch(/^The edited numbers must look like/);
    expect(readState(paramCalculatorSchema, link('calc.batch=0')).problems).toEqual([
      'The batch size must be a whole number from 1 to 4,096; the link had "0".',
    ]);
  });
});

describe('URL state: lesson 4 (sparse benchmark)', () => {
  it('round-trips every choice', () => {
    const state = { tokens: 2048, pass: 'training' as const, reps: 9, backend: 'cpu' as const };
    expect(roundTrip(sparseBenchSchema, state)).toEqual({ state, problems: [] });
  });

  it('refuses values off the menus', () => {
    const { state, problems } = readState(sparseBenchSchema, link('bench.tokens=100&bench.pass=backward'));
    expect(state).toEqual(defaults(sparseBenchSchema));
    expect(problems).toEqual([
      'Tokens per batch must be one of 128, 256, 512, 1024, 2048; the link had "100".',
      'The pass must be one of forward, training; the link had "backward".',
    ]);
  });
});
