import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MIXTRAL } from './tiny-mixtral.ts';
import {
  checkTensors,
  loadCheckpoint,
  saveCheckpoint,
  sha256Hex,
  type CheckpointManifest,
} from '../../models/checkpoint/checkpoint.ts';
import { mixtralTensorSpecs, parseMixtralConfig, shapeSize } from '../../models/nn/config.ts';
import { encodeSafetensors } from '../../models/checkpoint/safetensors.ts';
import { loadCheckpointDir, readCheckpointDir, saveCheckpointDir } from '../../models/node/checkpoint-fs.ts';

const config = parseMixtralConfig({ ...TINY_MIXTRAL, torch_dtype: 'float32' });

/** Deterministic weights: tensor t, element i holds a distinct, F32-exact value. */
function weights(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(
    mixtralTensorSpecs(config).map((s, t) => [
      s.name,
      {
        shape: s.shape,
        data: Float32Array.from({ length: shapeSize(s.shape) }, (_, i) => Math.fround(Math.sin(t * 1000 + i))),
      },
    ]),
  );
}

const tokenizerJson = { version: '1.0', model: { type: 'BPE', vocab: { a: 0 } } };

async function saved(dtype?: 'F32' | 'F16' | 'BF16'): Promise<Map<string, Uint8Array>> {
  return (await saveCheckpoint({ config, tensors: weights(), tokenizerJson, ...(dtype ? { dtype } : {}) })).files;
}

function withFile(
  files: Map<string, Uint8Array>,
  name: string,
  bytes: Uint8Array | undefined,
): Map<string, Uint8Array> {
  const copy = new Map(files);
  if (bytes) copy.set(name, bytes);
  else copy.delete(name);
  return copy;
}

describe('saveCheckpoint → loadCheckpoint', () => {
  it('round-trips config, weights (F32 exact), tokenizer and manifest', async () => {
    const files = await saved();
    expect([...files.keys()].sort()).toEqual(['config.json', 'manifest.json', 'model.safetensors', 'tokenizer.json']);
    const checkpoint = await loadCheckpoint(files);
    expect(checkpoint.config).toEqual(config);
    expect(checkpoint.tokenizerJson).toEqual(tokenizerJson);
    expect(checkpoint.metadata.format).toBe('pt');
    const original = weights();
    expect(checkpoint.tensors.size).toBe(original.size);
    for (const [name, tensor] of original) expect(checkpoint.tensors.get(name)).toEqual(tensor);
    expect(checkpoint.notes[0]).toContain('match manifest.json');
  });

  it("writes a manifest with each file's size and SHA-256", async () => {
    const { files, manifest } = await saveCheckpoint({ config, tensors: weights() });
    expect(manifest.format).toBe('moe-lab-checkpoint');
    for (const name of ['config.json', 'model.safetensors']) {
      expect(manifest.files[name]!.size).toBe(files.get(name)!.byteLength);
      expect(manifest.files[name]!.sha256).toBe(await sha256Hex(files.get(name)!));
    }
    expect(manifest.files['tokenizer.json']).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(files.get('manifest.json')))).toEqual(manifest);
  });

  it('knows the SHA-256 of a known string', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it.each(['F16', 'BF16'] as const)('stores %s and reads it back as close floats', async (dtype) => {
    const checkpoint = await loadCheckpoint(await saved(dtype));
    const tolerance = dtype === 'F16' ? 2 ** -11 : 2 ** -8;
    for (const [name, tensor] of weights()) {
      const loaded = checkpoint.tensors.get(name)!.data;
      tensor.data.forEach((v, i) =>
        expect(Math.abs(loaded[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * tolerance + 2 ** -24),
      );
    }
    expect(checkpoint.notes.join(' ')).toContain(`stored as ${dtype}`);
  });

  it('loads a PyTorch-style export: config.json and model.safetensors only', async () => {
    const files = await saved();
    const checkpoint = await loadCheckpoint(
      withFile(withFile(files, 'manifest.json', undefined), 'tokenizer.json', undefined),
    );
    expect(checkpoint.manifest).toBeUndefined();
    expect(checkpoint.tokenizerJson).toBeUndefined();
    expect(checkpoint.notes[0]).toBe(
      'No manifest.json: file sizes and SHA-256 were not checked (as for a checkpoint exported from PyTorch).',
    );
  });

  it('accepts files as a plain object too', async () => {
    const checkpoint = await loadCheckpoint(Object.fromEntries(await saved()));
    expect(checkpoint.tensors.size).toBe(mixtralTensorSpecs(config).length);
  });
});

describe('corrupt checkpoints', () => {
  it('a changed byte: SHA-256 mismatch naming the file', async () => {
    const files = await saved();
    const weightsBytes = files.get('model.safetensors')!.slice();
    weightsBytes[weightsBytes.length - 1]! ^= 0x01;
    const expected = (JSON.parse(new TextDecoder().decode(files.get('manifest.json'))) as CheckpointManifest).files[
      'model.safetensors'
    ]!.sha256;
    await expect(loadCheckpoint(withFile(files, 'model.safetensors', weightsBytes))).rejects.toThrow(
      `model.safetensors: SHA-256 mismatch — expected ${expected}, got ${await sha256Hex(weightsBytes)}; the file is corrupted or was changed.`,
    );
  });

  it('a truncated file, with a manifest: says truncated', async () => {
    const files = await saved();
    const cut = files.get('model.safetensors')!.subarray(0, 100);
    await expect(loadCheckpoint(withFile(files, 'model.safetensors', cut))).rejects.toThrow(
      /model\.safetensors is 100 bytes but manifest\.json says \d+; the file is truncated/,
    );
  });

  it('a truncated file, without a manifest: the safetensors reader says truncated', async () => {
    const files = withFile(await saved(), 'manifest.json', undefined);
    const full = files.get('model.safetensors')!;
    await expect(
      loadCheckpoint(withFile(files, 'model.safetensors', full.subarray(0, full.length - 4))),
    ).rejects.toThrow('the file is truncated');
  });

  it('a file the manifest lists is absent', async () => {
    await expect(loadCheckpoint(withFile(await saved(), 'tokenizer.json', undefined))).rejects.toThrow(
      'manifest.json lists tokenizer.json but the checkpoint has no such file',
    );
  });

  it('no model.safetensors at all', async () => {
    await expect(loadCheckpoint(withFile(await saved(), 'model.safetensors', undefined))).rejects.toThrow(
      'The checkpoint has no model.safetensors',
    );
  });

  it('a missing tensor is named', async () => {
    const tensors = weights();
    tensors.delete('model.layers.1.block_sparse_moe.gate.weight');
    const files = new Map([
      ['config.json', new TextEncoder().encode(JSON.stringify(config))],
      ['model.safetensors', encodeSafetensors(tensors)],
    ]);
    await expect(loadCheckpoint(files)).rejects.toThrow(
      'model.safetensors is missing model.layers.1.block_sparse_moe.gate.weight',
    );
  });

  it('a wrong shape names the tensor, the expected and the actual shape', async () => {
    const tensors = weights();
    tensors.set('model.layers.0.self_attn.k_proj.weight', { shape: [8, 4], data: new Float32Array(32) });
    const files = new Map([
      ['config.json', new TextEncoder().encode(JSON.stringify(config))],
      ['model.safetensors', encodeSafetensors(tensors)],
    ]);
    await expect(loadCheckpoint(files)).rejects.toThrow(
      'model.safetensors: model.layers.0.self_attn.k_proj.weight has shape [8, 4] but config.json implies [4, 8].',
    );
  });

  it('an unexpected tensor is named, with a hint when embeddings are tied', () => {
    const tensors = weights();
    const tied = parseMixtralConfig({ ...config, tie_word_embeddings: true });
    expect(() => checkTensors(tied, tensors)).toThrow(
      'model.safetensors has tensors config.json does not describe: lm_head.weight (tie_word_embeddings is true, so lm_head.weight must not be stored).',
    );
  });

  it('a malformed config.json names the field', async () => {
    const files = withFile(await saved(), 'manifest.json', undefined);
    const bad = new TextEncoder().encode(JSON.stringify({ ...config, num_experts_per_tok: 5 }));
    await expect(loadCheckpoint(withFile(files, 'config.json', bad))).rejects.toThrow(
      'config.json: num_experts_per_tok (5) must not exceed num_local_experts (4).',
    );
    const missing = new TextEncoder().encode(JSON.stringify({ ...config, vocab_size: undefined }));
    await expect(loadCheckpoint(withFile(files, 'config.json', missing))).rejects.toThrow(
      'config.json: vocab_size is missing',
    );
  });

  it('config.json that is not JSON', async () => {
    const files = withFile(await saved(), 'manifest.json', undefined);
    await expect(
      loadCheckpoint(withFile(files, 'config.json', new TextEncoder().encode('{"model_type": '))),
    ).rejects.toThrow('config.json is not valid JSON');
  });

  it('a malformed manifest', async () => {
    const files = withFile(await saved(), 'manifest.json', new TextEncoder().encode('{"format": "zip"}'));
    await expect(loadCheckpoint(files)).rejects.toThrow('manifest.json must have "format": "moe-lab-checkpoint"');
  });

  it('saveCheckpoint refuses tensors that do not match the config', async () => {
    const tensors = weights();
    tensors.delete('model.norm.weight');
    await expect(saveCheckpoint({ config, tensors })).rejects.toThrow('model.safetensors is missing model.norm.weight');
  });
});

describe('checkpoint directories (Node)', () => {
  it('writes and reads back a directory; corruption on disk is caught', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'moe-lab-checkpoint-'));
    try {
      await saveCheckpointDir(dir, { config, tensors: weights(), tokenizerJson, dtype: 'BF16' });
      expect([...(await readCheckpointDir(dir)).keys()].sort()).toEqual([
        'config.json',
        'manifest.json',
        'model.safetensors',
        'tokenizer.json',
      ]);
      expect((await loadCheckpointDir(dir)).config).toEqual(config);
      const path = join(dir, 'config.json');
      await writeFile(path, (await readFile(path, 'utf8')).replace('"vocab_size": 11', '"vocab_size": 12'));
      await expect(loadCheckpointDir(dir)).rejects.toThrow('config.json: SHA-256 mismatch');
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('says when the directory does not exist', async () => {
    await expect(readCheckpointDir('/nonexistent/moe-lab')).rejects.toThrow(
      'No checkpoint directory at /nonexistent/moe-lab.',
    );
  });
});
