// The checkpoints the site ships: each loads and verifies, its parameter count (models/accounting/params.ts) equals
// the values its model.safetensors header declares (read here by hand, not by our loader), it fits the 3 MB
// budget, and saving it again and loading the result gives the same logits.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { loadCheckpoint, saveCheckpoint } from '../../models/checkpoint/checkpoint.ts';
import { countParameters } from '../../models/accounting/params.ts';
import { disposeModel, mixtralForward, mixtralFromTensors, mixtralToTensors } from '../../models/nn/transformer.ts';
import { loadCheckpointDir } from '../../models/node/checkpoint-fs.ts';
import { maxAbsDiff } from './tf-backends.ts';

const ROOT = 'models/checkpoints';

/**
 * Values declared in a safetensors header, from the format's definition alone: an 8-byte little-endian
 * header length, then JSON mapping each tensor name to { dtype, shape, data_offsets } (plus __metadata__).
 * Checks that each tensor's byte range matches its shape, so a header cannot declare more than it stores.
 */
function headerParameterCount(path: string): number {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  const size: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
  let count = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const values = shape.reduce((a, b) => a * b, 1);
    expect(end - begin, name).toBe(values * size[dtype]!);
    count += values;
  }
  return count;
}
const SHIPPED = readdirSync(ROOT).filter((name) => statSync(join(ROOT, name)).isDirectory());

describe('shipped checkpoints', () => {
  it('are the family the lessons describe', () => {
    expect(SHIPPED.sort()).toEqual(['dense', 'e16-top2', 'e4-top2', 'e8-top1', 'e8-top2']);
  });

  for (const id of SHIPPED) {
    it(`${id}: verifies, counts exactly what its safetensors holds, and fits 3 MB`, async () => {
      const checkpoint = await loadCheckpointDir(join(ROOT, id));
      expect(checkpoint.manifest).toBeDefined();
      expect(countParameters(checkpoint.config).total).toBe(headerParameterCount(join(ROOT, id, 'model.safetensors')));
      const bytes = Object.values(checkpoint.manifest!.files).reduce((sum, f) => sum + f.size, 0);
      expect(bytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    });
  }

  it('e8-top2: save → load gives identical logits, in F32 and in F16', async () => {
    await setupNodeBackend('wasm');
    const original = await loadCheckpointDir(join(ROOT, 'e8-top2'));
    const model = mixtralFromTensors(original.config, original.tensors);
    const ids = tf.tensor2d([[0, 464, 21, 7, 300, 12, 99, 5]], [1, 8], 'int32');
    const logitsOf = async (dtype: 'F32' | 'F16'): Promise<Float32Array> => {
      const saved = await saveCheckpoint({ config: original.config, tensors: mixtralToTensors(model), dtype });
      const reloaded = await loadCheckpoint(saved.files);
      const copy = mixtralFromTensors(reloaded.config, reloaded.tensors);
      const { logits } = mixtralForward(copy, ids);
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      disposeModel(copy);
      return values;
    };
    const { logits } = mixtralForward(model, ids);
    const reference = logits.dataSync() as Float32Array;
    expect(maxAbsDiff(await logitsOf('F32'), reference)).toBe(0);
    // The shipped weights are F16 already, so an F16 round trip loses nothing either.
    expect(maxAbsDiff(await logitsOf('F16'), reference)).toBe(0);
    tf.dispose([logits, ids]);
    disposeModel(model);
  });
});
