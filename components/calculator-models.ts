/**
 * What the parameter calculator offers: the published models in models/presets, then our own tiny
 * checkpoints, read from whichever models/checkpoints/<name>/config.json exist when the site is built.
 * Also the number formats the calculator and lesson 2 share, so prose and widget print a count alike.
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

/** Three significant figures, trailing zeros dropped: 46.7, 671, 5.13, 7. */
function threeFigures(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** A parameter count as the lesson writes it: 46.7B, 671B, 2.1M, 640. */
export function formatCount(count: number): string {
  if (count >= 1e9) return `${threeFigures(count / 1e9)}B`;
  if (count >= 1e6) return `${threeFigures(count / 1e6)}M`;
  if (count >= 1e3) return `${threeFigures(count / 1e3)}K`;
  return String(count);
}

/** A published figure as its authors wrote it (116.8e9 → "116.8B", 37e9 → "37B"). */
export function formatPublished(count: number): string {
  return `${billions(count)}B`;
}

/** A published figure in billions, without the float noise of the division (116.8e9 / 1e9). */
function billions(count: number): string {
  return String(Number((count / 1e9).toPrecision(6)));
}

/**
 * Our count next to a published one: three significant figures, or as many decimals as the published figure
 * has where that is more, so 116,829,156,672 reads 116.8B beside "116.8B" and 36,625,618,432 reads 36.6B
 * beside "37B".
 */
export function formatBeside(count: number, published: number): string {
  const decimals = billions(published).split('.')[1]?.length ?? 0;
  const matched = (count / 1e9).toFixed(decimals);
  return matched.replace('.', '').replace(/^0+/, '').length > 3 ? `${matched}B` : formatCount(count);
}

/** Every digit, grouped: 46,702,792,704. */
export function formatExact(count: number): string {
  return count.toLocaleString('en-US');
}

/** Bytes in decimal units (GB = 10⁹ bytes, as accelerator memory is sold). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${threeFigures(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${threeFigures(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${threeFigures(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** The unit a chart of counts up to `largest` reads best in. */
export function countScale(largest: number): { divisor: number; unit: string } {
  if (largest >= 1e9) return { divisor: 1e9, unit: 'billions' };
  if (largest >= 1e6) return { divisor: 1e6, unit: 'millions' };
  if (largest >= 1e3) return { divisor: 1e3, unit: 'thousands' };
  return { divisor: 1, unit: 'parameters' };
}
