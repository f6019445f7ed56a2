/**
 * What the parameter calculator offers: the published models in models/presets, then our own tiny
 * checkpoints, read from whichever models/checkpoints/<name>/config.json exist when the site is built.
 * Numbers are printed by components/format.ts.
 */

import { MODEL_PRESETS, type ModelPreset } from '../models/accounting/presets/index.ts';

export interface CalculatorModel {
  id: string;
  name: string;
  config: unknown;
  /** 'published': a real model with its authors' figures; 'ours': a checkpoint trained for this course. */
  kind: 'published' | 'ours';
  published?: ModelPreset['published'];
  note?: string;
}

// Eager: the configs are a few hundred bytes each, and the list must be complete when the widget renders.
const checkpointConfigs = import.meta.glob<unknown>('../models/checkpoints/*/config.json', {
  eager: true,
  import: 'default',
});

/** Checkpoint directory names, from the glob's paths (`../models/checkpoints/e8-top2/config.json`). */
function checkpointModels(): CalculatorModel[] {
  return Object.entries(checkpointConfigs)
    .map(([path, config]) => {
      const name = path.split('/').at(-2) ?? path;
      return { id: `ours-${name}`, name: `Ours: ${name}`, config, kind: 'ours' as const };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

export const CALCULATOR_MODELS: readonly CalculatorModel[] = [
  ...MODEL_PRESETS.map((p): CalculatorModel => ({
    id: p.id,
    name: p.name,
    config: p.config,
    kind: 'published',
    published: p.published,
    note: p.note,
  })),
  ...checkpointModels(),
];

export const DEFAULT_MODEL_ID = 'mixtral-8x7b';

export function calculatorModel(id: string): CalculatorModel | undefined {
  return CALCULATOR_MODELS.find((m) => m.id === id);
}

/** Common accelerator memory sizes, in GB (10⁹ bytes), with a card that has each. */
export const ACCELERATORS: readonly { gb: number; example: string }[] = [
  { gb: 24, example: 'RTX 4090' },
  { gb: 48, example: 'L40S' },
  { gb: 80, example: 'H100' },
  { gb: 141, example: 'H200' },
];
