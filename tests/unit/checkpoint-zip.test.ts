// The checkpoint zip: round trip to identical logits, read by Python's zipfile, the unzipped folder read by
// the CLI (`logits`, `eval`) and by the PyTorch reference with matching logits; and bad archives refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { saveCheckpoint } from '../../models/checkpoint/checkpoint.ts';
import { checkpointFilesFromZip, checkpointZip, loadCheckpointZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { disposeModel, mixtralForward, mixtralFromTensors, mixtralToTensors } from '../../models/nn/transformer.ts';
import type { MixtralModel } from '../../models/nn/transformer.ts';
import { crc32, readZip, writeZip } from '../../models/checkpoint/zip.ts';
import { loadCheckpointDir } from '../../models/node/checkpoint-fs.ts';
import { maxAbsDiff } from './tf-backends.ts';

const SOURCE = 'models/checkpoints/e8-top2';
const IDS = [0, 464, 17, 5, 901, 33, 2, 260, 1023, 71];
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const hasPython = spawnSync('python3', ['-c', 'import zipfile'], { stdio: 'ignore' }).status === 0;

function logitsOf(model: MixtralModel, ids: readonly number[]): Float32Array {
  return tf.tidy(() => {
    const { logits, auxLoss } = mixtralForward(model, tf.tensor2d([...ids], [1, ids.length], 'int32'));
    auxLoss?.dispose();
    return logits.dataSync() as Float32Array;
  });
}

/** The last line of stdout that is JSON, so that a line logged before it cannot break the parse. */
const jsonLine = (stdout: string): unknown =>
  JSON.parse(
    stdout
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{'))!,
  );
const flat = (rows: number[][]): number[] => rows.flat();

describe('checkpoint zip with a shipped model', () => {
  let dir: string;
  let model: MixtralModel;
  let files: Map<string, Uint8Array>;
  let zip: Uint8Array;
  let expected: Float32Array;

  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'moe-lab-zip-'));
    const source = await loadCheckpointDir(SOURCE);
    model = mixtralFromTensors(source.config, source.tensors);
    // What an export does: the model's current weights, saved as F16 with the tokenizer.
    files = (
      await saveCheckpoint({
        config: model.config,
        tensors: mixtralToTensors(model),
        tokenizerJson: source.tokenizerJson,
        dtype: 'F16',
      })
    ).files;
    zip = checkpointZip(files);
    writeFileSync(join(dir, 'model.zip'), zip);
    expected = logitsOf(model, IDS);
  });
  afterAll(() => {
    disposeModel(model);
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips to identical logits and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const checkpoint = await loadCheckpointZip(zip);
    expect(checkpoint.notes[0]).toMatch(/match manifest.json/);
    const reloaded = mixtralFromTensors(checkpoint.config, checkpoint.tensors);
    expect(logitsOf(reloaded, IDS)).toEqual(expected);
    disposeModel(reloaded);
    expect(tf.memory().numTensors).toBe(before);
    expect(writeZip(files)).toEqual(zip); // the same files give the same bytes (fixed timestamps)
  });

  it.skipIf(!hasPython)("is read by Python's zipfile, byte for byte", () => {
    const out = join(dir, 'py-unzipped');
    const script = [
      'import hashlib, json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'z.extractall(sys.argv[2])',
      'print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
    ].join('\n');
    const listed = JSON.parse(
      execFileSync('python3', ['-c', script, join(dir, 'model.zip'), out], { encoding: 'utf8' }),
    ) as Record<string, string>;
    expect(Object.keys(listed)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json']);
    for (const [name, bytes] of files) expect(new Uint8Array(readFileSync(join(out, name)))).toEqual(bytes);
  });

  it.skipIf(!hasPython)(
    'unzipped by Python, is read by `npm run moe -- logits` and `eval` like the original',
    () => {
      const out = join(dir, 'cli');
      execFileSync('python3', [
        '-c',
        'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
        join(dir, 'model.zip'),
        out,
      ]);
      const cli = (...args: string[]): string =>
        execFileSync(process.execPath, ['scripts/moe.ts', ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      const { logits } = jsonLine(cli('logits', out, '--ids', IDS.join(','), '--backend', 'cpu')) as {
        logits: number[][];
      };
      expect(maxAbsDiff(flat(logits), expected)).toBeLessThanOrEqual(1e-5);
      const evalArgs = ['--split', 'validation', '--windows', '2', '--backend', 'cpu'];
      const score = (d: string): string => cli('eval', d, ...evalArgs).replace(/^.* on validation/m, '');
      const unzipped = score(out);
      expect(unzipped).toMatch(/loss \d\.\d{4}/);
      expect(unzipped).toBe(score(SOURCE));
    },
    120_000,
  );

  it.skipIf(!hasTorch)(
    'unzipped, gives the PyTorch reference the same logits',
    () => {
      const out = join(dir, 'torch');
      execFileSync(PYTHON, [
        '-c',
        'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
        join(dir, 'model.zip'),
        out,
      ]);
      const stdout = execFileSync(PYTHON, ['scripts/reference/checkpoint_logits.py', out, '--ids', IDS.join(',')], {
        encoding: 'utf8',
      });
      const { logits } = jsonLine(stdout) as { logits: number[][] };
      expect(logits).toHaveLength(IDS.length);
      expect(maxAbsDiff(flat(logits), expected)).toBeLessThanOrEqual(2e-4);
    },
    60_000,
  );

  it.skipIf(!hasPython)('imports a deflated zip of the folder, as a file manager makes it', async () => {
    const script = [
      'import sys, zipfile',
      'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
      '    z.writestr("my-model/", "")',
      '    for name in sys.argv[3:]: z.write(sys.argv[2] + "/" + name, "my-model/" + name)',
      '    z.writestr("__MACOSX/my-model/._config.json", "junk")',
    ].join('\n');
    const unzipped = join(dir, 'py-src');
    execFileSync('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      join(dir, 'model.zip'),
      unzipped,
    ]);
    const deflated = join(dir, 'deflated.zip');
    execFileSync('python3', ['-c', script, deflated, unzipped, ...files.keys()]);
    const bytes = new Uint8Array(readFileSync(deflated));
    expect(bytes.length).toBeLessThan(zip.length); // really deflated
    const read = await checkpointFilesFromZip(bytes);
    expect([...read.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [name, data] of files) expect(read.get(name)).toEqual(data);
  });
});

/** A small zip whose header fields the tests patch. */
const smallFiles = (): Map<string, Uint8Array> =>
  new Map([
    ['config.json', new TextEncoder().encode('{"model_type": "mixtral"}')],
    ['model.safetensors', new Uint8Array(64).fill(7)],
  ]);
/** Offset of the central directory entry for the `index`-th file of a zip written by writeZip. */
function centralEntry(zip: Uint8Array, index: number): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let at = view.getUint32(zip.length - 22 + 16, true);
  for (let i = 0; i < index; i++) at += 46 + view.getUint16(at + 28, true);
  return at;
}
function patch(zip: Uint8Array, at: number, value: number, bytes: 2 | 4): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  if (bytes === 2) view.setUint16(at, value, true);
  else view.setUint32(at, value, true);
  return copy;
}

describe('reading a zip refuses, with a sentence', () => {
  const zip = writeZip(smallFiles());

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the check value of CRC-32/ISO-HDLC
  });

  it('what is not a zip', async () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('{"a": 1}'), new Uint8Array(1000).fill(0x50)]) {
      await expect(readZip(bytes, { label: 'e8.zip' })).rejects.toThrow(/^e8.zip is not a zip archive/);
    }
  });

  it('every truncation (property)', async () => {
    for (let cut = 1; cut < zip.length; cut += 7) {
      await expect(readZip(zip.slice(0, cut))).rejects.toThrow(/truncated|not a zip archive/);
    }
  });

  it('a damaged entry, an unknown method, encryption, a lying size, a zip bomb and too many files', async () => {
    const dataAt = 30 + 'config.json'.length + 3;
    const flipped = zip.slice();
    flipped[dataAt]! ^= 0xff;
    await expect(readZip(flipped)).rejects.toThrow(/config.json fails its CRC-32 check/);
    const second = centralEntry(zip, 1);
    await expect(readZip(patch(zip, second + 10, 12, 2))).rejects.toThrow(
      /model.safetensors uses compression method 12/,
    );
    await expect(readZip(patch(zip, second + 8, 0x0801, 2))).rejects.toThrow(/model.safetensors is encrypted/);
    await expect(readZip(patch(zip, second + 24, 0xfffffff0, 4))).rejects.toThrow(/unpacks to more than 537 MB/);
    await expect(readZip(zip, { maxEntries: 1 })).rejects.toThrow(/holds 2 files; at most 1/);
    await expect(readZip(zip, { maxTotalBytes: 50 })).rejects.toThrow(/unpacks to more than/);

    // A deflated entry that claims 100 bytes but inflates to a megabyte.
    const bomb = deflateRawSync(new Uint8Array(2 ** 20));
    let bombZip = writeZip(new Map([['model.safetensors', bomb]]));
    const entry = centralEntry(bombZip, 0);
    for (const at of [8, entry + 10]) bombZip = patch(bombZip, at, 8, 2); // method: deflate, local and central
    bombZip = patch(bombZip, entry + 24, 100, 4);
    await expect(readZip(bombZip)).rejects.toThrow(/inflates to more than the 100 bytes its header says/);
  });

  it('a checkpoint zip without its weights, with stray files, or with a changed file under its manifest', async () => {
    const onlyConfig = writeZip(new Map([['config.json', new Uint8Array(2)]]));
    await expect(checkpointFilesFromZip(onlyConfig)).rejects.toThrow(
      /a zip without model.safetensors; a checkpoint zip needs/,
    );
    const stray = writeZip(new Map([...smallFiles(), ['notes.txt', new Uint8Array(1)]]));
    await expect(checkpointFilesFromZip(stray)).rejects.toThrow(/holds notes.txt, which a checkpoint does not have/);
    const twoFolders = writeZip(
      new Map([
        ['a/config.json', new Uint8Array(1)],
        ['b/model.safetensors', new Uint8Array(1)],
      ]),
    );
    await expect(checkpointFilesFromZip(twoFolders)).rejects.toThrow(/files in several folders \(a\/, b\/\)/);
    expect(() => checkpointZip(new Map([['config.json', new Uint8Array(1)]]))).toThrow(/needs model.safetensors/);

    const source = await loadCheckpointDir('models/checkpoints/dense');
    const saved = (await saveCheckpoint({ config: source.config, tensors: source.tensors, dtype: 'F16' })).files;
    const weights = saved.get('model.safetensors')!.slice();
    weights[weights.length - 1]! ^= 1; // same size, different bytes: only the manifest's SHA-256 can tell
    const changed = checkpointZip(new Map([...saved, ['model.safetensors', weights]]));
    await expect(loadCheckpointZip(changed)).rejects.toThrow(/model.safetensors: SHA-256 mismatch/);
  });
});
