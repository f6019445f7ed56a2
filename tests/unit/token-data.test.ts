// The shipped token data (models/data/) against the CLI's own training path: same stream, same batches for
// the same seed, same per-genre streams; and every kind of damage to the files refused with a sentence.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatDocuments, randomBatch } from '../../models/text/batches.ts';
import { batchSource, validationBatches } from '../../models/training/batch-source.ts';
import { sha256Hex } from '../../models/checkpoint/checkpoint.ts';
import { seededRandom } from '../../models/random.ts';
import {
  encodeTokenData,
  genreSubset,
  parseTokenDataManifest,
  readTokenData,
  splitGenres,
  TOKEN_DATA_MANIFEST,
} from '../../models/text/token-data.ts';
import { genreStream, loadTokenizedSplits, loadTokenizer, TOKENIZER_PATH } from '../../scripts/training-data.ts';

const DIR = 'models/data';
const shippedFiles = (): Map<string, Uint8Array> =>
  new Map(['manifest.json', 'train.bin', 'validation.bin'].map((f) => [f, new Uint8Array(readFileSync(join(DIR, f)))]));

describe('the shipped token data', () => {
  const tokenizer = loadTokenizer();
  const cli = loadTokenizedSplits(tokenizer, ['train', 'validation']);

  it('is the stream `npm run moe -- train` trains on, and gives the same batches for the same seed', async () => {
    const data = await readTokenData(shippedFiles());
    expect(data.train.stream).toEqual(cli.train!.stream);
    expect(data.validation.stream).toEqual(cli.validation!.stream);
    expect(data.train.documents.map((d) => d.id)).toEqual(cli.train!.tokenized.map((d) => d.id));
    expect(data.train.documents.map((d) => d.start)).toEqual(cli.train!.starts);
    // The CLI's batches (scripts/commands/train.ts: randomBatch over its own stream) for e8-top2's geometry.
    for (const seed of [1, 7]) {
      const config = { batchSize: 16, seqLen: 64, seed };
      const source = batchSource(data.train, config);
      for (const step of [0, 1, 2, 49, 1499]) {
        expect(source.batch(step)).toEqual(randomBatch(cli.train!.stream, step, config));
      }
    }
    const val = validationBatches(data.validation, 16, 64, 128);
    expect(val.reduce((n, b) => n + b.batchSize * b.seqLen, 0)).toBe(8192); // the README's 8,192 validation tokens
  });

  it('was made with the shipped tokenizer, and `npm run moe -- data --check` finds it up to date', async () => {
    const manifest = parseTokenDataManifest(readFileSync(join(DIR, TOKEN_DATA_MANIFEST)));
    expect(manifest.tokenizer.sha256).toBe(await sha256Hex(new Uint8Array(readFileSync(TOKENIZER_PATH))));
    expect(manifest.tokenizer.vocabSize).toBe(tokenizer.tokenizer.vocabSize);
    expect(manifest.tokenizer.endOfTextId).toBe(tokenizer.tokenizer.endOfTextId);
    const out = execFileSync(process.execPath, ['scripts/moe.ts', 'data', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  }, 60_000);

  it('takes genre subsets that match the CLI per-genre streams', async () => {
    const data = await readTokenData(shippedFiles());
    expect(splitGenres(data.train)).toHaveLength(15);
    const eot = tokenizer.tokenizer.endOfTextId;
    for (const genre of ['a', 'k', 'r']) {
      expect(genreSubset(data.validation, [genre]).stream).toEqual(genreStream(cli.validation!, genre, eot));
    }
    const fiction = genreSubset(data.train, ['l', 'k']);
    const expected = concatDocuments(
      cli.train!.tokenized.filter((d) => d.genre === 'k' || d.genre === 'l').map((d) => d.ids),
      eot,
    );
    expect(fiction.stream).toEqual(expected.tokens);
    expect(fiction.documents.map((d) => d.start)).toEqual(expected.starts);
    expect(() => genreSubset(data.train, [])).toThrow(/at least one genre/);
    expect(() => genreSubset(data.train, ['z'])).toThrow(/Unknown genre "z"; the Brown Corpus genres are a, b/);
    // A subset too short for the window is refused when the batch source is made, not mid-run.
    const tiny = genreSubset(data.validation, ['r']);
    expect(() => batchSource(tiny, { batchSize: 1, seqLen: tiny.stream.length, seed: 1 })).toThrow(
      /fewer than one window/,
    );
  });
});

/** Three small documents in two genres: files to damage. */
async function smallData(): Promise<Map<string, Uint8Array>> {
  const docs = [
    { id: 'ca01', genre: 'a', ids: [5, 6] },
    { id: 'ck01', genre: 'k', ids: [7, 8, 9] },
    { id: 'ca02', genre: 'a', ids: [10] },
  ];
  return (
    await encodeTokenData({
      tokenizer: { sha256: 'f'.repeat(64), vocabSize: 16, endOfTextId: 0 },
      source: 'test',
      splits: { train: docs, validation: docs.slice(1) },
    })
  ).files;
}

const withFile = (files: Map<string, Uint8Array>, name: string, bytes: Uint8Array): Map<string, Uint8Array> =>
  new Map([...files, [name, bytes]]);
const editManifest = (files: Map<string, Uint8Array>, edit: (m: Record<string, unknown>) => void) => {
  const manifest = JSON.parse(new TextDecoder().decode(files.get(TOKEN_DATA_MANIFEST))) as Record<string, unknown>;
  edit(manifest);
  return withFile(files, TOKEN_DATA_MANIFEST, new TextEncoder().encode(JSON.stringify(manifest)));
};

describe('reading token data', () => {
  it('round-trips documents, starts and genres', async () => {
    const data = await readTokenData(await smallData());
    expect([...data.train.stream]).toEqual([5, 6, 0, 7, 8, 9, 0, 10, 0]);
    expect(data.train.documents.map((d) => [d.id, d.start, d.length])).toEqual([
      ['ca01', 0, 2],
      ['ck01', 3, 3],
      ['ca02', 7, 1],
    ]);
    expect([...genreSubset(data.train, ['a']).stream]).toEqual([5, 6, 0, 10, 0]);
    expect(() => genreSubset(data.validation, ['b'])).toThrow(/validation split has no documents of genre b/);
  });

  it('refuses ids the format cannot hold', async () => {
    const docs = [{ id: 'ca01', genre: 'a', ids: [20] }];
    const input = { tokenizer: { sha256: 'f'.repeat(64), vocabSize: 16, endOfTextId: 0 }, source: 't' };
    await expect(encodeTokenData({ ...input, splits: { train: docs, validation: docs } })).rejects.toThrow(
      /Token id 20 is outside the vocabulary/,
    );
    const big = { ...input.tokenizer, vocabSize: 70000 };
    await expect(encodeTokenData({ ...input, tokenizer: big, splits: { train: [], validation: [] } })).rejects.toThrow(
      /does not fit in uint16/,
    );
  });

  it('says which file is missing, truncated, corrupted or mis-indexed', async () => {
    const files = await smallData();
    const train = files.get('train.bin')!;
    await expect(readTokenData(new Map([...files].filter(([n]) => n !== 'manifest.json')))).rejects.toThrow(
      /has no manifest.json/,
    );
    await expect(readTokenData(new Map([...files].filter(([n]) => n !== 'train.bin')))).rejects.toThrow(
      /has no train.bin, which manifest.json lists for the train split/,
    );
    await expect(readTokenData(withFile(files, 'train.bin', train.slice(0, 10)))).rejects.toThrow(
      /train.bin is 10 bytes but manifest.json says 18: it is truncated/,
    );
    const flipped = train.slice();
    flipped[4]! ^= 1;
    await expect(readTokenData(withFile(files, 'train.bin', flipped))).rejects.toThrow(/does not match its SHA-256/);
    await expect(
      readTokenData(withFile(files, TOKEN_DATA_MANIFEST, new TextEncoder().encode('{"format": "moe-lab'))),
    ).rejects.toThrow(/not valid JSON/);
    await expect(readTokenData(editManifest(files, (m) => (m.format = 'other')))).rejects.toThrow(
      /"moe-lab-token-data"/,
    );
    // An index that still tiles the stream but puts a document boundary where there is no end-of-text token.
    const shifted = editManifest(files, (m) => {
      const docs = (m.splits as { train: { documents: { start: number; length: number }[] } }).train.documents;
      docs[0]!.length = 3;
      docs[1]!.start = 4;
      docs[1]!.length = 2;
    });
    await expect(readTokenData(shifted)).rejects.toThrow(/document ca01 is not followed by the end-of-text token/);
    const gap = editManifest(files, (m) => {
      (m.splits as { train: { documents: { start: number }[] } }).train.documents[1]!.start = 5;
    });
    await expect(readTokenData(gap)).rejects.toThrow(
      /ck01 of the train split starts at 5, but the one before it ends at 3/,
    );
  });

  it('refuses every single-byte change and every truncation (property)', async () => {
    const files = await smallData();
    const train = files.get('train.bin')!;
    const random = seededRandom(3);
    for (let trial = 0; trial < 50; trial++) {
      const changed = train.slice();
      const at = Math.floor(random() * changed.length);
      changed[at]! ^= 1 + Math.floor(random() * 255);
      await expect(readTokenData(withFile(files, 'train.bin', changed))).rejects.toThrow(/SHA-256/);
      const cut = Math.floor(random() * train.length);
      await expect(readTokenData(withFile(files, 'train.bin', train.slice(0, cut)))).rejects.toThrow(/truncated/);
    }
  });
});
