import { describe, expect, it } from 'vitest';
import {
  applyEdits,
  editableFields,
  parseConfigText,
  readField,
  withEdit,
} from '../../models/accounting/config-edit.ts';
import { countParameters } from '../../models/accounting/params.ts';
import { MODEL_PRESETS, presetById } from '../../models/accounting/presets/index.ts';

const mixtral = presetById('mixtral-8x7b').config;

describe('editableFields', () => {
  it.each(MODEL_PRESETS.map((p) => [p.id, p.config] as const))(
    '%s: every editable number is present in the real config',
    (_id, config) => {
      const fields = editableFields(config);
      expect(fields.length).toBeGreaterThan(3);
      for (const f of fields) expect(readField(config, f.path), f.path).toBeTypeOf('number');
    },
  );

  it('offers nothing for an unknown or missing model_type, so the counter can say what is wrong', () => {
    expect(editableFields({ model_type: 'gpt2' })).toEqual([]);
    expect(editableFields({})).toEqual([]);
    expect(editableFields(null)).toEqual([]);
  });
});

describe('applyEdits', () => {
  it('changing K changes the active count and not the total (Mixtral 8x7B, K 2 → 1)', () => {
    const before = countParameters(mixtral);
    const after = countParameters(applyEdits(mixtral, { num_experts_per_tok: 1 }));
    expect(after.total).toBe(before.total);
    // One fewer SwiGLU expert (3 · 4096 · 14336 weights) in each of 32 layers.
    expect(before.active - after.active).toBe(32 * 3 * 4096 * 14336);
  });

  it('changing N changes the total; active grows only by the wider router', () => {
    const before = countParameters(mixtral);
    const after = countParameters(applyEdits(mixtral, { num_local_experts: 16 }));
    // The router scores every expert, so each of its 8 new columns (4096 weights) is used by every token.
    expect(after.active - before.active).toBe(32 * 8 * 4096);
    expect(after.total - before.total).toBe(32 * 8 * (3 * 4096 * 14336 + 4096));
  });

  it('returns a copy and leaves the preset untouched', () => {
    const edited = applyEdits(mixtral, { hidden_size: 2048 });
    expect(edited.hidden_size).toBe(2048);
    expect(mixtral.hidden_size).toBe(4096);
  });

  it("writes gpt-oss's second copy of K too, and DBRX's nested fields", () => {
    const gptOss = applyEdits(presetById('gpt-oss-120b').config, { num_experts_per_tok: 2 });
    expect(gptOss.experts_per_token).toBe(2);
    const dbrx = presetById('dbrx').config;
    const edited = applyEdits(dbrx, { 'ffn_config.moe_top_k': 2 });
    expect(readField(edited, 'ffn_config.moe_top_k')).toBe(2);
    expect(readField(edited, 'ffn_config.moe_num_experts')).toBe(16);
    expect(readField(dbrx, 'ffn_config.moe_top_k')).toBe(4);
    expect(countParameters(edited).active).toBeLessThan(countParameters(dbrx).active);
  });

  it('rejects a field the architecture does not have, and a value that is no number, in sentences', () => {
    expect(() => applyEdits(mixtral, { n_routed_experts: 4 })).toThrow(
      /n_routed_experts is not an editable number of a mixtral config; editable are: num_hidden_layers/,
    );
    expect(() => applyEdits(mixtral, { hidden_size: Number.NaN })).toThrow(
      'Hidden size (hidden_size) is empty or not a number; enter a whole number.',
    );
  });

  it("leaves negative numbers and K > N to the counter's own messages", () => {
    expect(() => countParameters(applyEdits(mixtral, { num_hidden_layers: -3 }))).toThrow(
      'config.json: num_hidden_layers must be a whole number ≥ 1; got -3.',
    );
    expect(() => countParameters(applyEdits(presetById('qwen3-30b-a3b').config, { num_experts_per_tok: 200 }))).toThrow(
      /num_experts_per_tok \(200\) must not exceed the number of experts \(128\)/,
    );
  });
});

describe('withEdit', () => {
  it('keeps only the numbers that differ from the original config', () => {
    const edits = withEdit(mixtral, {}, 'num_experts_per_tok', 4);
    expect(edits).toEqual({ num_experts_per_tok: 4 });
    expect(withEdit(mixtral, edits, 'num_experts_per_tok', 2)).toEqual({});
  });
});

describe('parseConfigText', () => {
  it('parses a config object', () => {
    expect(parseConfigText('{"model_type": "mixtral"}')).toEqual({ model_type: 'mixtral' });
  });

  it('says what is wrong with text that is not a JSON object', () => {
    expect(() => parseConfigText('{ "model_type": ')).toThrow(/^This is not valid JSON \(.+\)\. Paste the whole/);
    expect(() => parseConfigText('  ')).toThrow('The config is empty; paste the contents of a config.json file.');
    expect(() => parseConfigText('[1, 2]')).toThrow(/must hold a JSON object/);
  });
});
