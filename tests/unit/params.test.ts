import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TINY_MIXTRAL } from './tiny-mixtral.ts';
import { mixtralTensorSpecs, parseMixtralConfig, shapeSize } from '../../models/nn/config.ts';
import { BYTES_PER_WEIGHT, estimateMemory, kvCacheBytes, weightBytes } from '../../models/accounting/memory.ts';
import { countParameters, SUPPORTED_MODEL_TYPES } from '../../models/accounting/params.ts';
import { MODEL_PRESETS, presetById } from '../../models/accounting/presets/index.ts';

const TINY = TINY_MIXTRAL;

const relativeError = (measured: number, published: number): number => Math.abs(measured - published) / published;

describe('published figures', () => {
  // Each vendor's own convention (see models/accounting/presets/index.ts): the active figure is compared with the
  // count that matches how that vendor counts.
  it.each([
    ['mixtral-8x7b', 46.7e9, 12.9e9, 'active'],
    ['deepseek-v3', 671e9, 37e9, 'activeWithoutEmbedding'],
    ['qwen3-30b-a3b', 30.5e9, 3.3e9, 'active'],
    ['gpt-oss-120b', 116.8e9, 5.1e9, 'activeWithoutEmbedding'],
  ] as const)('%s: total within 1 %% of the published figure', (id, total, _active, convention) => {
    const report = countParameters(presetById(id).config);
    expect(relativeError(report.total, total)).toBeLessThan(0.01);
    expect(presetById(id).published?.active?.convention).toBe(convention);
  });

  it('Mixtral 8x7B: 46.7B total, 12.9B active, embedding and LM head included', () => {
    const r = countParameters(presetById('mixtral-8x7b').config);
    expect(r.total).toBe(46_702_792_704);
    expect(r.active).toBe(12_879_925_248);
    expect(relativeError(r.active, 12.9e9)).toBeLessThan(0.01);
  });

  it("gpt-oss-120b: the model card's 116.83B and 5.13B, embedding left out of active", () => {
    const r = countParameters(presetById('gpt-oss-120b').config);
    expect(r.total).toBe(116_829_156_672);
    expect(relativeError(r.total, 116.83e9)).toBeLessThan(0.0001);
    expect(relativeError(r.activeWithoutEmbedding, 5.13e9)).toBeLessThan(0.001);
    expect(relativeError(r.activeWithoutEmbedding, 5.1e9)).toBeLessThan(0.01);
    // Counting the embedding would give 5.71B, which no one publishes: the convention matters.
    expect(relativeError(r.active, 5.1e9)).toBeGreaterThan(0.1);
  });

  it('DeepSeek-V3: 671B without the MTP module; 37B active, embedding left out', () => {
    const r = countParameters(presetById('deepseek-v3').config);
    expect(relativeError(r.total, 671e9)).toBeLessThan(0.0001);
    expect(r.excluded.mtp! / 1e9).toBeCloseTo(13.5, 1); // the README's "14B of MTP Module weights"
    expect(relativeError(r.total + r.excluded.mtp!, 685e9)).toBeLessThan(0.001); // the 685B on the Hub
    // Published to two significant figures: 36.63B is 1.0 % under "37B" and rounds to it; with the input
    // embedding it would be 37.55B, which rounds to 38B.
    expect(Math.round(r.activeWithoutEmbedding / 1e9)).toBe(37);
    expect(relativeError(r.activeWithoutEmbedding, 37e9)).toBeLessThan(0.0102);
    expect(Math.round(r.active / 1e9)).toBe(38);
  });

  it('Qwen3-30B-A3B: 30.5B total; 3.3B active is our 3.353B truncated', () => {
    const r = countParameters(presetById('qwen3-30b-a3b').config);
    expect(relativeError(r.total, 30.5e9)).toBeLessThan(0.01);
    expect(Math.floor(r.active / 1e8) / 10).toBe(3.3);
    expect(relativeError(r.active, 3.3e9)).toBeLessThan(0.017);
    // The card's "29.9B non-embedding" leaves out both the embedding and the LM head.
    expect(relativeError(r.total - r.breakdown.total.embeddings - r.breakdown.total.lmHead, 29.9e9)).toBeLessThan(
      0.001,
    );
  });

  it('every other preset with a published figure is within 2 % of it under its convention', () => {
    for (const preset of MODEL_PRESETS) {
      const r = countParameters(preset.config);
      if (preset.published) expect(relativeError(r.total, preset.published.total.value), preset.id).toBeLessThan(0.01);
      const active = preset.published?.active;
      if (active) expect(relativeError(r[active.convention], active.value), preset.id).toBeLessThan(0.02);
    }
  });

  it('every preset records the Hub URL of its config.json', () => {
    for (const preset of MODEL_PRESETS)
      expect(preset.config._source, preset.id).toMatch(/^https:\/\/huggingface\.co\/.+\/config\.json$/);
  });
});

describe('exact counts', () => {
  it('a tiny Mixtral: total is the sum of the tensor shapes, active has K of N experts', () => {
    const config = parseMixtralConfig(TINY);
    const sum = mixtralTensorSpecs(config).reduce((n, s) => n + shapeSize(s.shape), 0);
    const r = countParameters(TINY);
    expect(r.total).toBe(sum);
    // By hand: embed 88, per layer 2 norms 16 + attention 64+32+32+64 + router 32 + experts 4 × 288, norm 8, head 88.
    expect(sum).toBe(88 + 2 * (16 + 192 + 32 + 4 * 288) + 8 + 88);
    expect(r.active).toBe(r.total - 2 * 2 * 288);
    expect(r.activeWithoutEmbedding).toBe(r.active - 88);
    expect(r.breakdown.total.routedExperts).toBe(2 * 4 * 288);
    expect(r.breakdown.active.routedExperts).toBe(2 * 2 * 288);
  });

  it('tied embeddings: no LM head, and the shared matrix stays in activeWithoutEmbedding', () => {
    const r = countParameters({ ...TINY, tie_word_embeddings: true });
    expect(r.breakdown.total.lmHead).toBe(0);
    expect(r.activeWithoutEmbedding).toBe(r.active);
  });

  it('a dense model: everything active', () => {
    const r = countParameters(presetById('mistral-7b').config);
    expect(r.active).toBe(r.total);
    expect(r.total).toBe(7_241_732_096); // the number transformers reports for Mistral-7B-v0.1
  });

  it('DeepSeek: first_k_dense_replace dense layers, moe_layer_freq, MLA without q_lora_rank', () => {
    const base = {
      model_type: 'deepseek_v2',
      vocab_size: 10,
      hidden_size: 4,
      intermediate_size: 6,
      moe_intermediate_size: 2,
      num_hidden_layers: 4,
      num_attention_heads: 2,
      q_lora_rank: null,
      kv_lora_rank: 3,
      qk_nope_head_dim: 2,
      qk_rope_head_dim: 2,
      v_head_dim: 2,
      n_routed_experts: 4,
      n_shared_experts: 1,
      num_experts_per_tok: 2,
      first_k_dense_replace: 1,
      moe_layer_freq: 2,
    };
    const r = countParameters(base);
    // Layers 0 (dense), 1 (freq: dense), 2 (MoE), 3 (dense).
    expect(r.breakdown.total.denseMlp).toBe(3 * 3 * 4 * 6);
    expect(r.breakdown.total.routedExperts).toBe(4 * 3 * 4 * 2);
    expect(r.breakdown.total.sharedExperts).toBe(3 * 4 * 2);
    // q_proj 4·2·4 + kv_a 4·(3+2) + kv_b 3·2·(2+2) + o 2·2·4 = 32 + 20 + 24 + 16 per layer.
    expect(r.breakdown.total.attention).toBe(4 * 92);
  });

  it('Switch-Base-8: sparse every other layer, top-1, tied embeddings', () => {
    const r = countParameters(presetById('switch-base-8').config);
    const ffn = 2 * 768 * 3072;
    expect(r.breakdown.total.routedExperts).toBe(12 * 8 * ffn); // 6 sparse encoder + 6 sparse decoder layers
    expect(r.breakdown.active.routedExperts).toBe(12 * ffn);
    expect(r.breakdown.total.denseMlp).toBe(12 * ffn);
    expect(r.breakdown.total.lmHead).toBe(0);
    // By hand: shared embedding; encoder 12 × (attention + 2 norms) + relative bias + 6 dense + 6 sparse FFNs
    // (8 experts + router) + final norm; decoder the same with self- and cross-attention and 3 norms.
    const attention = 4 * 768 * 768;
    const ffns = 6 * ffn + 6 * (8 * ffn + 8 * 768);
    const encoder = 12 * (attention + 2 * 768) + 32 * 12 + ffns + 768;
    const decoder = 12 * (2 * attention + 3 * 768) + 32 * 12 + ffns + 768;
    expect(r.total).toBe(32128 * 768 + encoder + decoder);
  });

  it('DBRX reads its nested attn_config and ffn_config', () => {
    const r = countParameters(presetById('dbrx').config);
    expect(r.breakdown.total.routedExperts).toBe(40 * 16 * 3 * 6144 * 10752);
    expect(r.breakdown.active.routedExperts).toBe(40 * 4 * 3 * 6144 * 10752);
  });

  it('Qwen: mlp_only_layers and decoder_sparse_step decide which layers are MoE', () => {
    const config = { ...presetById('qwen3-30b-a3b').config, mlp_only_layers: [0], decoder_sparse_step: 2 };
    const r = countParameters(config);
    const moeLayers = [...Array(48).keys()].filter((i) => i !== 0 && (i + 1) % 2 === 0).length;
    expect(r.breakdown.total.routedExperts).toBe(moeLayers * 128 * 3 * 2048 * 768);
    expect(r.breakdown.total.denseMlp).toBe((48 - moeLayers) * 3 * 2048 * 6144);
  });
});

describe('unsupported or malformed configs', () => {
  it.each([
    [{ model_type: 'bert' }, 'config.json: model_type "bert" is not supported; supported are mixtral'],
    [{ hidden_size: 4 }, 'config.json: model_type is missing'],
    ['text', 'config.json must hold a JSON object'],
    [{ ...TINY, num_experts_per_tok: 9 }, 'num_experts_per_tok (9) must not exceed num_local_experts (4)'],
    [{ model_type: 'qwen3_moe', hidden_size: 8 }, 'config.json: num_hidden_layers is missing'],
    [
      { model_type: 'deepseek_v3', ...{ hidden_size: 8, vocab_size: 2, num_hidden_layers: 1, num_attention_heads: 2 } },
      'config.json: kv_lora_rank is missing',
    ],
    [
      {
        model_type: 'dbrx',
        d_model: 8,
        n_heads: 2,
        n_layers: 1,
        vocab_size: 4,
        ffn_config: { moe_num_experts: 2, moe_top_k: 3 },
      },
      'ffn_config.moe_top_k (3) must not exceed',
    ],
    [
      { ...presetById('gpt-oss-120b').config, layer_types: ['full_attention'] },
      'layer_types has 1 entries but num_hidden_layers is 36',
    ],
  ])('%# says what is wrong', (config, message) => {
    expect(() => countParameters(config)).toThrow(message);
  });

  it('lists what it supports', () => {
    expect(SUPPORTED_MODEL_TYPES).toEqual(
      expect.arrayContaining([
        'mixtral',
        'mistral',
        'llama',
        'qwen2_moe',
        'qwen3_moe',
        'deepseek_v2',
        'deepseek_v3',
        'gpt_oss',
        'olmoe',
        'switch_transformers',
        'dbrx',
      ]),
    );
  });
});

describe('memory', () => {
  it('weights at each precision; int4 carries one 16-bit scale per 32 weights', () => {
    expect(BYTES_PER_WEIGHT.int4).toBe(0.5625);
    expect(weightBytes(1000)).toEqual({ fp32: 4000, bf16: 2000, fp8: 1000, int4: 563 });
  });

  it('GQA KV cache: Mixtral 8x7B at 32k tokens is 4 GiB in bf16', () => {
    // 2 (K, V) × 8 KV heads × 128 × 32 layers × 2 bytes = 128 KiB per token.
    const kv = kvCacheBytes(presetById('mixtral-8x7b').config, { context: 32768, batch: 1 });
    expect(kv.bytesPerToken).toBe(131072);
    expect(kv.bytes).toBe(4 * 2 ** 30);
    expect(kv.kind).toBe('gqa');
    expect(kvCacheBytes(presetById('mixtral-8x7b').config, { context: 32768, batch: 3 }).bytes).toBe(12 * 2 ** 30);
  });

  it('MLA caches kv_lora_rank + qk_rope_head_dim values per layer and token', () => {
    const kv = kvCacheBytes(presetById('deepseek-v3').config, { context: 1000, batch: 1 });
    expect(kv.bytesPerToken).toBe(61 * (512 + 64) * 2);
    expect(kv.kind).toBe('mla');
  });

  it('sliding windows cap the cache: gpt-oss alternates 128-token windows and full attention', () => {
    const config = presetById('gpt-oss-120b').config;
    const short = kvCacheBytes(config, { context: 100, batch: 1 });
    const long = kvCacheBytes(config, { context: 100_000, batch: 1 });
    const perLayer = 2 * 8 * 64 * 2;
    expect(short.bytes).toBe(36 * 100 * perLayer);
    expect(long.bytes).toBe(18 * (100_000 + 128) * perLayer);
    expect(long.slidingLayers).toBe(18);
    // Mistral 7B: every layer windowed at 4096.
    expect(kvCacheBytes(presetById('mistral-7b').config, { context: 8192, batch: 1 }).bytes).toBe(
      kvCacheBytes(presetById('mistral-7b').config, { context: 4096, batch: 1 }).bytes,
    );
  });

  it('an encoder-decoder caches self- and cross-attention in each decoder layer', () => {
    const kv = kvCacheBytes(presetById('switch-base-8').config, { context: 512, batch: 1 });
    expect(kv.bytes).toBe(12 * 2 * 512 * 2 * 12 * 64 * 2);
  });

  it('rejects a context that is not a whole number', () => {
    expect(() => kvCacheBytes(TINY, { context: 0, batch: 1 })).toThrow('context must be a whole number ≥ 1; got 0');
  });

  it('estimateMemory combines weights of the total with the KV cache', () => {
    const m = estimateMemory(TINY, { context: 16, batch: 2 });
    expect(m.weights.bf16).toBe(2 * countParameters(TINY).total);
    expect(m.kvCache.bytes).toBe(2 * 16 * 2 * (2 * 2 * 2) * 2);
  });
});

describe('npm run moe -- params', () => {
  it('prints one line of JSON', () => {
    const out = execFileSync(
      process.execPath,
      ['scripts/moe.ts', 'params', 'models/accounting/presets/mixtral-8x7b.json', '--context', '32768'],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(out) as {
      total: number;
      active: number;
      activeWithoutEmbedding: number;
      memory: { kvCache: { bytes: number } };
    };
    expect(json.total).toBe(46_702_792_704);
    expect(json.active).toBe(12_879_925_248);
    expect(json.memory.kvCache.bytes).toBe(4 * 2 ** 30);
  });

  it('fails with a sentence for an unsupported config', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/moe.ts', 'params', 'package.json'], { encoding: 'utf8', stdio: 'pipe' }),
    ).toThrow(/model_type is missing/);
  });
});
