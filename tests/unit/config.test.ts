import { describe, expect, it } from 'vitest';
import { TINY_MIXTRAL } from './tiny-mixtral.ts';
import { headDim, mixtralTensorSpecs, parseMixtralConfig, shapeSize } from '../../models/nn/config.ts';
import mixtral8x7b from '../../models/accounting/presets/mixtral-8x7b.json' with { type: 'json' };

const TINY = TINY_MIXTRAL;

describe('parseMixtralConfig', () => {
  it('fills transformers defaults for absent optional fields', () => {
    const c = parseMixtralConfig(TINY);
    expect(c.architectures).toEqual(['MixtralForCausalLM']);
    expect(c.rope_theta).toBe(1e6);
    expect(c.rms_norm_eps).toBe(1e-5);
    expect(c.tie_word_embeddings).toBe(false);
    expect(c.router_aux_loss_coef).toBe(0.001);
    expect(c.sliding_window).toBeNull();
    expect(c.bos_token_id).toBe(1);
    expect(c.eos_token_id).toBe(2);
    expect(c.max_position_embeddings).toBe(131072);
    expect(c.torch_dtype).toBe('bfloat16');
    expect(c.head_dim).toBeUndefined();
    expect(headDim(c)).toBe(2);
  });

  it('reads the real Mixtral 8x7B config.json', () => {
    const c = parseMixtralConfig(mixtral8x7b);
    expect(c.num_local_experts).toBe(8);
    expect(c.router_aux_loss_coef).toBe(0.02);
    expect(headDim(c)).toBe(128);
  });

  it('keeps head_dim, our router_z_loss_coef and norm_topk_prob, and a list of eos ids', () => {
    const c = parseMixtralConfig({
      ...TINY,
      head_dim: 4,
      router_z_loss_coef: 0.001,
      norm_topk_prob: false,
      eos_token_id: [2, 7],
    });
    expect(c.norm_topk_prob).toBe(false);
    expect(parseMixtralConfig(TINY).norm_topk_prob).toBeUndefined();
    expect(headDim(c)).toBe(4);
    expect(c.router_z_loss_coef).toBe(0.001);
    expect(c.eos_token_id).toEqual([2, 7]);
  });

  it('takes rope_theta from transformers 5 rope_parameters', () => {
    expect(
      parseMixtralConfig({ ...TINY, rope_parameters: { rope_theta: 5000, rope_type: 'default' } }).rope_theta,
    ).toBe(5000);
  });

  it.each([
    [{ ...TINY, num_experts_per_tok: 5 }, 'config.json: num_experts_per_tok (5) must not exceed num_local_experts (4)'],
    [{ ...TINY, model_type: 'llama' }, 'model_type must be "mixtral"; got "llama"'],
    [{ ...TINY, hidden_size: undefined }, 'config.json: hidden_size is missing'],
    [{ ...TINY, vocab_size: 0 }, 'config.json: vocab_size must be a whole number ≥ 1; got 0'],
    [{ ...TINY, num_local_experts: 2.5 }, 'num_local_experts must be a whole number ≥ 1; got 2.5'],
    [{ ...TINY, num_hidden_layers: '2' }, 'num_hidden_layers must be a whole number ≥ 1; got "2"'],
    [{ ...TINY, num_key_value_heads: 3 }, 'num_attention_heads (4) must be a multiple of num_key_value_heads (3)'],
    [{ ...TINY, hidden_size: 10 }, 'hidden_size (10) must be divisible by num_attention_heads (4)'],
    [{ ...TINY, head_dim: 3 }, 'head_dim (3) must be even'],
    [{ ...TINY, rms_norm_eps: 'small' }, 'rms_norm_eps must be a finite number'],
    [{ ...TINY, tie_word_embeddings: 'no' }, 'tie_word_embeddings must be true or false'],
    [{ ...TINY, torch_dtype: 'int8' }, 'torch_dtype must be one of float32, float16, bfloat16'],
    [{ ...TINY, hidden_act: 'gelu' }, 'hidden_act must be "silu"'],
    [[1, 2], 'config.json must hold a JSON object'],
  ])('rejects a malformed config with a sentence naming the field (%#)', (json, message) => {
    expect(() => parseMixtralConfig(json)).toThrow(message);
  });
});

describe('mixtralTensorSpecs', () => {
  it('lists the Hugging Face names and [out, in] shapes', () => {
    const specs = mixtralTensorSpecs(parseMixtralConfig(TINY));
    const byName = new Map(specs.map((s) => [s.name, s.shape]));
    expect(byName.get('model.embed_tokens.weight')).toEqual([11, 8]);
    expect(byName.get('model.layers.1.input_layernorm.weight')).toEqual([8]);
    expect(byName.get('model.layers.0.self_attn.q_proj.weight')).toEqual([8, 8]); // 4 heads × 2
    expect(byName.get('model.layers.0.self_attn.k_proj.weight')).toEqual([4, 8]); // 2 kv heads × 2
    expect(byName.get('model.layers.0.self_attn.v_proj.weight')).toEqual([4, 8]);
    expect(byName.get('model.layers.0.self_attn.o_proj.weight')).toEqual([8, 8]);
    expect(byName.get('model.layers.0.post_attention_layernorm.weight')).toEqual([8]);
    expect(byName.get('model.layers.1.block_sparse_moe.gate.weight')).toEqual([4, 8]);
    expect(byName.get('model.layers.1.block_sparse_moe.experts.3.w1.weight')).toEqual([12, 8]);
    expect(byName.get('model.layers.1.block_sparse_moe.experts.3.w2.weight')).toEqual([8, 12]);
    expect(byName.get('model.layers.1.block_sparse_moe.experts.3.w3.weight')).toEqual([12, 8]);
    expect(byName.get('model.norm.weight')).toEqual([8]);
    expect(byName.get('lm_head.weight')).toEqual([11, 8]);
    // embed + 2 × (2 norms + 4 attention + gate + 4 × 3 experts) + norm + lm_head
    expect(specs.length).toBe(1 + 2 * (2 + 4 + 1 + 12) + 2);
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
    expect(specs.some((s) => s.name.includes('bias'))).toBe(false);
  });

  it('uses head_dim when it differs from hidden / heads', () => {
    const byName = new Map(
      mixtralTensorSpecs(parseMixtralConfig({ ...TINY, head_dim: 6 })).map((s) => [s.name, s.shape]),
    );
    expect(byName.get('model.layers.0.self_attn.q_proj.weight')).toEqual([24, 8]);
    expect(byName.get('model.layers.0.self_attn.k_proj.weight')).toEqual([12, 8]);
    expect(byName.get('model.layers.0.self_attn.o_proj.weight')).toEqual([8, 24]);
  });

  it('has no lm_head when the embeddings are tied', () => {
    const specs = mixtralTensorSpecs(parseMixtralConfig({ ...TINY, tie_word_embeddings: true }));
    expect(specs.some((s) => s.name === 'lm_head.weight')).toBe(false);
  });

  it('sums to the published Mixtral 8x7B size (46.7B)', () => {
    const total = mixtralTensorSpecs(parseMixtralConfig(mixtral8x7b)).reduce((n, s) => n + shapeSize(s.shape), 0);
    expect(total).toBe(46_702_792_704);
  });
});
