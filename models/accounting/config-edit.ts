/**
 * Editing a Hugging Face config.json by hand, for the parameter calculator: which numbers of each
 * architecture a reader may change, and the modified config that results. The counting itself stays in
 * models/accounting/params.ts: an edit only rewrites a field, so a bad value (0 layers, K > N) is reported by the same
 * validation that checks a downloaded config.
 */

import { asJsonObject, type JsonObject } from '../nn/config.ts';
import { MAX_LAYERS } from './params.ts';

/** One number of a config.json that the calculator lets a reader change. */
export interface EditableField {
  /** Where the number sits: `hidden_size`, or `ffn_config.moe_top_k` for a field nested one level down. */
  path: string;
  /** The reader's name for it, as the lesson uses it. */
  label: string;
  /** The lesson's symbol, where there is one (N, K, d). */
  symbol?: string;
  /** Smallest sensible value, for the input's `min` attribute; models/accounting/params.ts enforces the real rules. */
  min: number;
  /**
   * Largest value accepted, far beyond any published config: it keeps a typo (3,000,000 layers, a hidden
   * size of 10³⁰) from producing counts past what a double holds exactly, or from freezing the page.
   */
  max: number;
  /** Other fields that hold the same number and must change with it (gpt-oss writes K twice). */
  aliases?: readonly string[];
}

/** Upper bounds by kind of number; published configs stay one or two orders of magnitude below each. */
const LIMITS = {
  layers: MAX_LAYERS,
  width: 131_072,
  heads: 4096,
  vocab: 4_194_304,
  ffnWidth: 1_048_576,
  // "Mixture of A Million Experts" (He 2024, arXiv:2407.04153) routes over 1024² tiny experts.
  experts: 1_048_576,
} as const;

const field = (path: string, label: string, max: number, extra: Partial<EditableField> = {}): EditableField => ({
  path,
  label,
  min: 1,
  max,
  ...extra,
});

const LAYERS = field('num_hidden_layers', 'Layers', LIMITS.layers, { symbol: 'L' });
const HIDDEN = field('hidden_size', 'Hidden size', LIMITS.width, { symbol: 'd' });
const HEADS = field('num_attention_heads', 'Attention heads', LIMITS.heads);
const KV_HEADS = field('num_key_value_heads', 'Key/value heads', LIMITS.heads);
const VOCAB = field('vocab_size', 'Vocabulary', LIMITS.vocab);
const TOP_K = field('num_experts_per_tok', 'Experts per token', LIMITS.experts, { symbol: 'K' });
const DECODER = [LAYERS, HIDDEN, HEADS, KV_HEADS, VOCAB];

/** The numbers worth changing in each architecture, in the order the calculator shows them. */
const FIELDS: Readonly<Record<string, readonly EditableField[]>> = {
  mixtral: [
    ...DECODER,
    field('intermediate_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('num_local_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
    TOP_K,
  ],
  mistral: [...DECODER, field('intermediate_size', 'Feed-forward hidden size', LIMITS.ffnWidth, { symbol: 'h' })],
  llama: [...DECODER, field('intermediate_size', 'Feed-forward hidden size', LIMITS.ffnWidth, { symbol: 'h' })],
  qwen2_moe: [
    ...DECODER,
    field('moe_intermediate_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('num_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
    TOP_K,
    field('shared_expert_intermediate_size', 'Shared expert hidden size', LIMITS.ffnWidth, { min: 0 }),
  ],
  qwen3_moe: [
    ...DECODER,
    field('moe_intermediate_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('num_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
    TOP_K,
  ],
  olmoe: [
    ...DECODER,
    field('intermediate_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('num_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
    TOP_K,
  ],
  deepseek_v2: deepseekFields(),
  deepseek_v3: deepseekFields(),
  gpt_oss: [
    ...DECODER,
    field('intermediate_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('num_local_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
    { ...TOP_K, aliases: ['experts_per_token'] },
  ],
  // Switch routes every token to exactly one expert: K is not a setting of this architecture.
  switch_transformers: [
    field('num_layers', 'Encoder layers', LIMITS.layers),
    field('num_decoder_layers', 'Decoder layers', LIMITS.layers),
    field('d_model', 'Hidden size', LIMITS.width, { symbol: 'd' }),
    field('num_heads', 'Attention heads', LIMITS.heads),
    VOCAB,
    field('d_ff', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('num_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
  ],
  dbrx: [
    field('n_layers', 'Layers', LIMITS.layers, { symbol: 'L' }),
    field('d_model', 'Hidden size', LIMITS.width, { symbol: 'd' }),
    field('n_heads', 'Attention heads', LIMITS.heads),
    field('attn_config.kv_n_heads', 'Key/value heads', LIMITS.heads),
    VOCAB,
    field('ffn_config.ffn_hidden_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('ffn_config.moe_num_experts', 'Experts', LIMITS.experts, { symbol: 'N' }),
    field('ffn_config.moe_top_k', 'Experts per token', LIMITS.experts, { symbol: 'K' }),
  ],
};

function deepseekFields(): EditableField[] {
  return [
    LAYERS,
    HIDDEN,
    HEADS,
    VOCAB,
    field('kv_lora_rank', 'Cached latent width (MLA)', LIMITS.width),
    field('moe_intermediate_size', 'Expert hidden size', LIMITS.ffnWidth, { symbol: 'h' }),
    field('n_routed_experts', 'Routed experts', LIMITS.experts, { symbol: 'N' }),
    TOP_K,
    field('n_shared_experts', 'Shared experts', LIMITS.heads, { min: 0 }),
    field('first_k_dense_replace', 'Dense layers before the first MoE layer', LIMITS.layers, { min: 0 }),
  ];
}

/** The fields a reader may edit for this config's model_type; none for an unsupported or missing one. */
export function editableFields(config: unknown): readonly EditableField[] {
  const modelType = typeof config === 'object' && config !== null ? (config as JsonObject).model_type : undefined;
  return typeof modelType === 'string' ? (FIELDS[modelType] ?? []) : [];
}

/** The number at `path` in a config, or undefined where the config leaves it to its default. */
export function readField(config: unknown, path: string): number | undefined {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as JsonObject)[key];
  }
  return typeof node === 'number' ? node : undefined;
}

function writeField(config: JsonObject, path: string, value: number): void {
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    // Nested settings objects (DBRX's ffn_config) may be absent, meaning "all defaults".
    node[key] = typeof child === 'object' && child !== null && !Array.isArray(child) ? { ...child } : {};
    node = node[key] as JsonObject;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * Why `value` cannot be `spec`'s number, or null when it can. Only the bounds are checked here; the rules
 * that tie numbers together (K ≤ N, heads dividing evenly) are models/params.ts's.
 */
export function fieldProblem(spec: EditableField, value: number): string | null {
  const what = `${spec.label} (${spec.path})`;
  if (!Number.isFinite(value)) return `${what} is empty or not a number; enter a whole number.`;
  if (value > spec.max) {
    return `${what} must be at most ${spec.max.toLocaleString('en-US')}, far beyond any published model; got ${describeNumber(value)}.`;
  }
  return null;
}

/** A number as a reader typed it, shortened when it is long: 3000000 → "3,000,000", 1e30 → "1e+30". */
function describeNumber(value: number): string {
  return Number.isSafeInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/**
 * A copy of `config` with the edited numbers written in; `config` itself is not changed. Only this model's
 * editable fields may be edited. Values within bounds are written as given, so that models/accounting/params.ts reports
 * a negative or fractional one with its usual sentence; a value that is no number, or past the field's
 * `max`, is stopped here.
 */
export function applyEdits(config: unknown, edits: Readonly<Record<string, number>>): JsonObject {
  // A JSON round trip, not structuredClone: a config is JSON by definition, and a UI framework's reactive
  // proxy around it cannot be structured-cloned.
  const copy = JSON.parse(JSON.stringify(asJsonObject(config))) as JsonObject;
  const fields = editableFields(copy);
  for (const [path, value] of Object.entries(edits)) {
    const spec = fields.find((f) => f.path === path);
    if (!spec) {
      const known = fields.map((f) => f.path).join(', ') || 'none';
      throw new RangeError(
        `${path} is not an editable number of a ${String(copy.model_type)} config; editable are: ${known}.`,
      );
    }
    const problem = fieldProblem(spec, value);
    if (problem) throw new RangeError(problem);
    writeField(copy, path, value);
    for (const alias of spec.aliases ?? []) if (readField(copy, alias) !== undefined) writeField(copy, alias, value);
  }
  // A pasted config is held to the same bounds as an edit: its numbers reach the same counters.
  for (const spec of fields) {
    const value = readField(copy, spec.path);
    const problem = value === undefined ? null : fieldProblem(spec, value);
    if (problem) throw new RangeError(`config.json: ${problem}`);
  }
  return copy;
}

/**
 * `edits` with `path` set to `value`, or without it when `value` is what the original config already has, so
 * that "edited" always means "differs from the published config".
 */
export function withEdit(
  config: unknown,
  edits: Readonly<Record<string, number>>,
  path: string,
  value: number,
): Record<string, number> {
  const next = { ...edits };
  if (readField(config, path) === value) delete next[path];
  else next[path] = value;
  return next;
}

/** Parses the text of a config.json a reader pasted or uploaded; throws a sentence saying what is wrong. */
export function parseConfigText(text: string): JsonObject {
  if (text.trim() === '') throw new SyntaxError('The config is empty; paste the contents of a config.json file.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SyntaxError(
      `This is not valid JSON (${detail}). Paste the whole config.json, from the opening { to the closing }.`,
      { cause: error },
    );
  }
  return asJsonObject(json);
}
