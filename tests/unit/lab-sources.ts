// What the notebook tests share. What serveLab offers a notebook in Node tests: the shipped checkpoints and token data as paths on disk
// (the page passes hashed URLs instead, playground/lab-port/sources.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabSources } from '../../playground/lab-port/index.ts';

/**
 * Example-notebook cells that fail on purpose, to show what an error looks like: notebook → its 1-based code
 * cell numbers (the unit and end-to-end notebook tests both expect exactly these).
 */
export const INTENDED_ERRORS: Readonly<Record<string, readonly number[]>> = { 'playground-tour': [4] };

export const CHECKPOINTS_ON_DISK = ['dense', 'e4-top2', 'e8-top2', 'e16-top2', 'e8-top1'];
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json'];

export function nodeLabSources(ids: readonly string[]): LabSources {
  return {
    checkpoints: ids.map((id) => {
      const config = JSON.parse(readFileSync(`models/checkpoints/${id}/config.json`, 'utf8')) as Record<string, number>;
      return {
        id,
        label: id,
        numExperts: config.num_local_experts!,
        trainedTopK: config.num_experts_per_tok!,
        downloadBytes: 0,
        files: Object.fromEntries(FILES.map((name) => [name, join('models/checkpoints', id, name)])),
      };
    }),
    data: {
      'manifest.json': 'models/data/manifest.json',
      'train.bin': 'models/data/train.bin',
      'validation.bin': 'models/data/validation.bin',
    },
    tokenizer: 'models/checkpoints/tokenizer.json',
  };
}
