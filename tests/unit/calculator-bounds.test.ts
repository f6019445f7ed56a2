// The parameter calculator's bounds: closed-form counting, editable fields with an upper bound, and a link
// schema that reads back every view the widget can write (a seeded property test).
import { describe, expect, it } from 'vitest';
import { CALCULATOR_MODELS } from '../../components/calculator-models.ts';
import {
  BATCH_MAX,
  CONTEXT_MAX,
  kvInputProblem,
  paramCalculatorSchema,
  type ParamCalculatorState,
} from '../../components/param-calculator-state.ts';
import { readState, writeState } from '../../components/url-state.ts';
import { applyEdits, editableFields, readField, withEdit } from '../../models/accounting/config-edit.ts';
import { mixtralTensorSpecs, parseMixtralConfig, shapeSize } from '../../models/nn/config.ts';
import { seededRandom } from '../../models/random.ts';
import { estimateMemory } from '../../models/accounting/memory.ts';
import { countParameters, MAX_LAYERS } from '../../models/accounting/params.ts';
import { presetById } from '../../models/accounting/presets/index.ts';

const mixtral = presetById('mixtral-8x7b').config;

describe('closed-form counting', () => {
  it('Mixtral: the closed form equals summing every tensor of the checkpoint format', () => {
    const config = applyEdits(mixtral, { num_hidden_layers: 3, num_local_experts: 5, num_experts_per_tok: 2 });
    const bySpecs = mixtralTensorSpecs(parseMixtralConfig(config)).reduce((n, t) => n + shapeSize(t.shape), 0);
    expect(countParameters(config).total).toBe(bySpecs);
  });

  it('a million experts are counted, not listed one by one', () => {
    const config = applyEdits(mixtral, { num_local_experts: 1_048_576 });
    const d = 4096;
    const h = 14336;
    const perLayer = 1_048_576 * (3 * d * h + d) + 2 * d * d + 2 * 1024 * d + 2 * d;
    expect(countParameters(config).total).toBe(32 * perLayer + d + 2 * 32000 * d);
  });

  it('rejects more layers than any model has, with a sentence, before walking them', () => {
    expect(() => countParameters({ ...mixtral, num_hidden_layers: 3_000_000 })).toThrow(
      /num_hidden_layers must be at most 1,024 .*got 3,000,000/,
    );
    const deepseek = presetById('deepseek-v3').config;
    expect(() => countParameters({ ...deepseek, num_nextn_predict_layers: 1e9 })).toThrow(/at most 1,024/);
  });
});

describe('editable fields have upper bounds', () => {
  it('an edit past the bound is refused with the field, the bound and the value', () => {
    expect(() => applyEdits(mixtral, { num_hidden_layers: 1_000_000 })).toThrow(
      'Layers (num_hidden_layers) must be at most 1,024, far beyond any published model; got 1,000,000.',
    );
    expect(() => applyEdits(mixtral, { num_local_experts: 100_000_000 })).toThrow(/Experts .* at most 1,048,576/);
    expect(() => applyEdits(mixtral, { hidden_size: 1e30 })).toThrow(/at most 131,072.*got 1e\+30/);
  });

  it('a pasted config is held to the same bounds', () => {
    expect(() => applyEdits({ ...mixtral, hidden_size: 1e30 }, {})).toThrow(/^config\.json: Hidden size/);
  });

  it('every shipped model is within the bounds, and the layer bound is the counter’s', () => {
    for (const model of CALCULATOR_MODELS) {
      for (const f of editableFields(model.config)) {
        const value = readField(model.config, f.path);
        if (value !== undefined) expect(value, `${model.id} ${f.path}`).toBeLessThanOrEqual(f.max);
      }
    }
    expect(editableFields(mixtral).find((f) => f.path === 'num_hidden_layers')?.max).toBe(MAX_LAYERS);
  });
});

describe('the calculator’s link', () => {
  it('refuses what the inputs refuse: a context of 20,000,000 is neither typed nor read', () => {
    expect(kvInputProblem('context', 20_000_000)).toBe(
      'The context length must be a whole number from 1 to 10,000,000; got 20,000,000.',
    );
    expect(kvInputProblem('context', CONTEXT_MAX)).toBeNull();
    expect(kvInputProblem('batch', BATCH_MAX + 1)).toMatch(/from 1 to 4,096/);
    const read = readState(paramCalculatorSchema, new URLSearchParams('calc.context=20000000'));
    expect(read.problems).toHaveLength(1);
  });

  it('a link with an edit past a bound keeps the other edits and says which was left out', () => {
    const read = readState(
      paramCalculatorSchema,
      new URLSearchParams('calc.model=mixtral-8x7b&calc.edits=num_hidden_layers:1000000,num_experts_per_tok:1'),
    );
    expect(read.state.edits).toEqual({ num_experts_per_tok: 1 });
    expect(read.problems[0]).toMatch(/Layers \(num_hidden_layers\) must be at most 1,024.*left out/);
  });

  it('a long unknown value is echoed cut short', () => {
    const read = readState(paramCalculatorSchema, new URLSearchParams(`calc.model=${'x'.repeat(3000)}`));
    expect(read.problems[0]!.length).toBeLessThan(400);
  });

  it('property: every view the widget can write reads back unchanged, without a problem (500 seeded views)', () => {
    const random = seededRandom(9);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    // Log-uniform, so small and huge values are both drawn.
    const between = (min: number, max: number): number =>
      Math.min(
        max,
        Math.max(min, Math.round(Math.exp(Math.log(Math.max(min, 1)) + random() * Math.log(max / Math.max(min, 1))))),
      );
    let written = 0;
    for (let i = 0; i < 500; i++) {
      const model = pick(CALCULATOR_MODELS);
      let edits: Record<string, number> = {};
      for (const f of editableFields(model.config)) {
        if (random() < 0.4) edits = withEdit(model.config, edits, f.path, between(f.min, f.max));
      }
      const state: ParamCalculatorState = {
        model: model.id,
        edits,
        context: between(1, CONTEXT_MAX),
        batch: between(1, BATCH_MAX),
      };
      // The widget writes the link only for a view that counts without an error (ParamCalculator.svelte).
      try {
        const config = applyEdits(model.config, edits);
        countParameters(config);
        estimateMemory(config, { context: state.context, batch: state.batch });
      } catch {
        continue;
      }
      written++;
      const params = writeState(paramCalculatorSchema, state, new URLSearchParams());
      const read = readState(paramCalculatorSchema, new URLSearchParams(params.toString()));
      expect(read.problems, params.toString()).toEqual([]);
      expect(read.state).toEqual(state);
    }
    expect(written).toBeGreaterThan(100);
  });
});
