/**
 * Which post-Mixtral designs a published MoE uses, read from its config.json (the presets in ./presets):
 * routed experts N and K, shared experts (as multiples of one routed expert's width), how wide an expert is
 * against the model width d (well under d is DeepSeekMoE's "fine-grained", §3.1), the router's score
 * function and whether it balances with a selection bias (DeepSeek-V3's `topk_method: "noaux_tc"`, §2.1.2).
 * Field names per family as in params.ts; no numbers typed by hand. Pure: no tfjs.
 */

import { asJsonObject, readInt, type JsonObject } from '../nn/config.ts';

export interface MoeDesign {
  /** N: routed experts per MoE layer. */
  routedExperts: number;
  /** K: routed experts per token. */
  topK: number;
  /** Shared experts' total width in routed-expert widths (0 when none): DeepSeek-V3 1, Qwen1.5-MoE 4. */
  sharedWidth: number;
  /** One routed expert's hidden width h, and h / d. */
  expertWidth: number;
  widthOverD: number;
  scoring: 'softmax' | 'sigmoid';
  /** Aux-loss-free bias balancing (DeepSeek-V3 §2.1.2). */
  selectionBias: boolean;
}

const FILE = 'config.json';

/** The design of an MoE config.json; null for a dense model (or a family this course does not read). */
export function moeDesign(json: unknown): MoeDesign | null {
  const c = asJsonObject(json, FILE);
  const int = (field: string, obj: JsonObject = c): number => readInt(obj, field, FILE);
  const design = (n: number, k: number, width: number, d: number, sharedWidth = 0): MoeDesign => ({
    routedExperts: n,
    topK: k,
    sharedWidth,
    expertWidth: width,
    widthOverD: width / d,
    scoring: c.scoring_func === 'sigmoid' ? 'sigmoid' : 'softmax',
    selectionBias: c.topk_method === 'noaux_tc',
  });
  switch (c.model_type) {
    case 'mixtral':
    case 'gpt_oss':
      return design(int('num_local_experts'), int('num_experts_per_tok'), int('intermediate_size'), int('hidden_size'));
    case 'olmoe':
      return design(int('num_experts'), int('num_experts_per_tok'), int('intermediate_size'), int('hidden_size'));
    case 'qwen3_moe':
      return design(int('num_experts'), int('num_experts_per_tok'), int('moe_intermediate_size'), int('hidden_size'));
    case 'qwen2_moe': {
      const width = int('moe_intermediate_size');
      const shared = readInt(c, 'shared_expert_intermediate_size', FILE, 0, 0);
      return design(int('num_experts'), int('num_experts_per_tok'), width, int('hidden_size'), shared / width);
    }
    case 'deepseek_v2':
    case 'deepseek_v3':
      return design(
        int('n_routed_experts'),
        int('num_experts_per_tok'),
        int('moe_intermediate_size'),
        int('hidden_size'),
        readInt(c, 'n_shared_experts', FILE, 0, 0),
      );
    case 'dbrx': {
      const ffn = asJsonObject(c.ffn_config, `${FILE}: ffn_config`);
      return design(int('moe_num_experts', ffn), int('moe_top_k', ffn), int('ffn_hidden_size', ffn), int('d_model'));
    }
    case 'switch_transformers':
      return design(int('num_experts'), 1, int('d_ff'), int('d_model'));
    default:
      return null;
  }
}
