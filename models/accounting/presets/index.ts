/**
 * Real config.json files of published models (trimmed to the fields the counters read, plus `_source`,
 * the Hub page of the full file), with the parameter counts their authors published and where. The lesson
 * cites these; tests/unit/params.test.ts checks countParameters against them.
 *
 * `convention` says which of our counts a published "active" figure matches — vendors count differently:
 * - 'active': the embedding row and LM head included (Mixtral, Qwen, OLMoE).
 * - 'activeWithoutEmbedding': the input embedding left out. OpenAI's model card for gpt-oss says so
 *   (Table 1 lists 5.13B active for 120b). DeepSeek's README_WEIGHTS.md states "Activation parameters: 36.7B
 *   (including 0.9B for Embedding and 0.9B for the output Head)", yet counting V3's tensors with both gives
 *   37.55B; it is the count without the embedding, 36.63B, that matches 36.7B (and V2-Lite's 2.45B its 2.4B,
 *   against 2.66B with the embedding), so that is the count its figures are compared with.
 */

import dbrx from './dbrx.json' with { type: 'json' };
import deepseekV3 from './deepseek-v3.json' with { type: 'json' };
import gptOss120b from './gpt-oss-120b.json' with { type: 'json' };
import mistral7b from './mistral-7b.json' with { type: 'json' };
import mixtral8x22b from './mixtral-8x22b.json' with { type: 'json' };
import mixtral8x7b from './mixtral-8x7b.json' with { type: 'json' };
import olmoe1b7b from './olmoe-1b-7b.json' with { type: 'json' };
import qwen15MoeA27b from './qwen1.5-moe-a2.7b.json' with { type: 'json' };
import qwen3A3b from './qwen3-30b-a3b.json' with { type: 'json' };
import switchBase8 from './switch-base-8.json' with { type: 'json' };

/** A parameter count as its authors published it. */
export interface PublishedCount {
  /** The figure, in parameters (46.7e9 for "46.7B"). */
  value: number;
  /** Where it is published: document and section, or the model card. */
  source: string;
}

/** A published active count, and which of our counts it corresponds to. */
export interface PublishedActive extends PublishedCount {
  convention: 'active' | 'activeWithoutEmbedding';
}

/** A model the calculator offers, with its real config.json. */
export interface ModelPreset {
  /** File name in models/presets without `.json`. */
  id: string;
  name: string;
  /** The config.json (trimmed); `_source` is the URL of the full file on the Hugging Face Hub. */
  config: Record<string, unknown> & { _source: string; model_type: string };
  /** Published figures; absent where the authors published none for this exact model. */
  published?: { total: PublishedCount; active?: PublishedActive };
  /** Anything a reader comparing the numbers should know. */
  note?: string;
}

/** Every preset, MoE models first, then dense references. */
export const MODEL_PRESETS: readonly ModelPreset[] = [
  {
    id: 'mixtral-8x7b',
    name: 'Mixtral 8x7B',
    config: mixtral8x7b,
    published: {
      total: {
        value: 46.7e9,
        source: 'Mistral AI, "Mixtral of experts" announcement (mistral.ai/news/mixtral-of-experts), Dec 2023',
      },
      active: {
        value: 12.9e9,
        convention: 'active',
        source:
          'Mistral AI, "Mixtral of experts" announcement; the paper (Jiang et al. 2024, arXiv:2401.04088, §1) rounds to 47B and 13B',
      },
    },
  },
  {
    id: 'mixtral-8x22b',
    name: 'Mixtral 8x22B',
    config: mixtral8x22b,
    published: {
      total: {
        value: 141e9,
        source:
          'Mistral AI, "Cheaper, Better, Faster, Stronger" announcement (mistral.ai/news/mixtral-8x22b), Apr 2024',
      },
      active: {
        value: 39e9,
        convention: 'active',
        source: 'Mistral AI, Mixtral 8x22B announcement: "39B active parameters out of 141B"',
      },
    },
  },
  {
    id: 'deepseek-v3',
    name: 'DeepSeek-V3',
    config: deepseekV3,
    published: {
      total: {
        value: 671e9,
        source:
          'DeepSeek-AI, DeepSeek-V3 Technical Report (arXiv:2412.19437), abstract and §4.2; excludes the MTP module (README: 685B on the Hub = 671B + 14B MTP)',
      },
      active: {
        value: 37e9,
        convention: 'activeWithoutEmbedding',
        source:
          'DeepSeek-V3 Technical Report (arXiv:2412.19437), abstract and §4.2; README_WEIGHTS.md (github.com/deepseek-ai/DeepSeek-V3): "Activation parameters: 36.7B (including 0.9B for Embedding and 0.9B for the output Head)"',
      },
    },
    note: "README_WEIGHTS.md says its 36.7B active include the embedding and the output head, but counting the tensors with both gives 37.55B; our count without the embedding, 36.63B, is the one that matches 36.7B and rounds to the abstract's 37B.",
  },
  {
    id: 'qwen3-30b-a3b',
    name: 'Qwen3-30B-A3B',
    config: qwen3A3b,
    published: {
      total: {
        value: 30.5e9,
        source: 'Qwen3-30B-A3B model card (huggingface.co/Qwen/Qwen3-30B-A3B), "Number of Parameters"',
      },
      active: {
        value: 3.3e9,
        convention: 'active',
        source: 'Qwen3-30B-A3B model card, "30.5B in total and 3.3B activated"',
      },
    },
    note: 'Our active count is 3.353B: the card truncates it to 3.3B (it would round to 3.4B). The card\'s 29.9B "non-embedding" leaves out both the embedding and the LM head.',
  },
  {
    id: 'gpt-oss-120b',
    name: 'gpt-oss-120b',
    config: gptOss120b,
    published: {
      total: {
        value: 116.8e9,
        source: 'OpenAI, gpt-oss-120b & gpt-oss-20b Model Card (arXiv:2508.10925), §2, Table 1: 116.83B',
      },
      active: {
        value: 5.1e9,
        convention: 'activeWithoutEmbedding',
        source:
          'OpenAI, gpt-oss Model Card (arXiv:2508.10925), §2, Table 1: 5.13B active, unembedding counted, embedding not',
      },
    },
  },
  {
    id: 'olmoe-1b-7b',
    name: 'OLMoE-1B-7B',
    config: olmoe1b7b,
    published: {
      total: {
        value: 6.9e9,
        source: 'Muennighoff et al. 2024, OLMoE (arXiv:2409.02060), Table 1; the name and abstract round to 7B',
      },
      active: {
        value: 1.3e9,
        convention: 'active',
        source: 'OLMoE (arXiv:2409.02060), Table 1; the name and abstract round to 1B',
      },
    },
  },
  {
    id: 'dbrx',
    name: 'DBRX',
    config: dbrx,
    published: {
      total: {
        value: 132e9,
        source:
          'Databricks, "Introducing DBRX" (databricks.com/blog/introducing-dbrx-new-state-art-open-llm), Mar 2024',
      },
      active: {
        value: 36e9,
        convention: 'active',
        source: 'Databricks, "Introducing DBRX": "36B parameters are active on any input"',
      },
    },
    note: 'Databricks does not say whether 36B includes the embedding: with it we count 36.5B, without it 35.9B.',
  },
  {
    id: 'qwen1.5-moe-a2.7b',
    name: 'Qwen1.5-MoE-A2.7B',
    config: qwen15MoeA27b,
    published: {
      total: {
        value: 14.3e9,
        source: 'Qwen1.5-MoE-A2.7B model card (huggingface.co/Qwen/Qwen1.5-MoE-A2.7B), "Model Details"',
      },
      active: {
        value: 2.7e9,
        convention: 'active',
        source: 'Qwen1.5-MoE-A2.7B model card: "2.7B activated parameters during runtime"',
      },
    },
  },
  {
    id: 'switch-base-8',
    name: 'Switch-Base-8',
    config: switchBase8,
    note: 'Fedus et al. (arXiv:2101.03961) publish sizes for the 128-expert Switch-Base, not for this 8-expert checkpoint. An encoder-decoder: a token uses 1 expert in each sparse layer of the stack it passes through.',
  },
  {
    id: 'mistral-7b',
    name: 'Mistral 7B (dense)',
    config: mistral7b,
    published: {
      total: {
        value: 7.3e9,
        source: 'Mistral AI, "Announcing Mistral 7B" (mistral.ai/news/announcing-mistral-7b), Sep 2023',
      },
    },
    note: 'Dense reference: every parameter is active. We count 7.24B.',
  },
];

/** The preset with this id; throws a sentence listing the ids otherwise. */
export function presetById(id: string): ModelPreset {
  const preset = MODEL_PRESETS.find((p) => p.id === id);
  if (!preset) throw new RangeError(`No preset "${id}"; presets are ${MODEL_PRESETS.map((p) => p.id).join(', ')}.`);
  return preset;
}
