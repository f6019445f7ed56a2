/** A tiny Mixtral config.json shared by the config, parameter and checkpoint tests: 2 layers, 4 experts, top-2, GQA. */
export const TINY_MIXTRAL = {
  model_type: 'mixtral',
  vocab_size: 11,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  num_local_experts: 4,
  num_experts_per_tok: 2,
} as const;
