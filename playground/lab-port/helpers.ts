// The pure helpers a cell can call directly in its worker: functions of models/ that need no model and no
// tfjs, so they cost no round trip to the page. Checked against their declarations in api.ts.
import type { NotebookHelpers } from './api.ts';
import { mixtralGate, moeForward, randomMoEParams, softmax, topK } from '../../models/moe/gate.ts';
import { seededRandom } from '../../models/random.ts';
import { countParameters } from '../../models/accounting/params.ts';
import { flopsPerToken } from '../../models/accounting/flops.ts';
import { kvCacheBytes } from '../../models/accounting/memory.ts';
import { MODEL_PRESETS, presetById } from '../../models/accounting/presets/index.ts';
import { POS_CLASSES, posClassOfTag } from '../../models/moe/analyze.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import { applyEdits } from '../../models/accounting/config-edit.ts';

export const helpers = {
  softmax,
  topK,
  mixtralGate,
  moeForward,
  randomMoEParams,
  seededRandom,
  countParameters,
  // A cell may pass any config: parse it, so a wrong one gets the config reader's sentence, not a NaN.
  flopsPerToken: (config, context, k) => flopsPerToken(parseMixtralConfig(config), context, k),
  kvCacheBytes,
  applyEdits,
  MODEL_PRESETS,
  presetById,
  POS_CLASSES,
  posClassOfTag,
} satisfies NotebookHelpers;
