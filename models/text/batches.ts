// Batches of next-token-prediction examples cut from a token stream, as nanoGPT's `get_batch`: the split's
// documents are concatenated with an end-of-text token between them and a batch is B random windows of
// seqLen + 1 tokens (inputs = the first seqLen, targets = the same shifted by one). Pure: no fs, no tfjs.

import { seededRandom } from '../random.ts';

/** B rows of T token ids each, row-major, ready for `tf.tensor2d(inputs, [batchSize, seqLen], 'int32')`. */
export interface Batch {
  batchSize: number;
  seqLen: number;
  /** [batchSize, seqLen] */
  inputs: Int32Array;
  /** [batchSize, seqLen]: targets[b, t] = the token after inputs[b, t]. */
  targets: Int32Array;
  /** Where each row starts in the stream it was cut from: [batchSize]. */
  offsets: number[];
}

/** Batch geometry and the seed that picks the windows. */
export interface BatchConfig {
  batchSize: number;
  seqLen: number;
  seed: number;
}

/**
 * Documents → one stream: doc₀ EOT doc₁ EOT … docₙ EOT. The end-of-text token after each document (GPT-2's
 * convention) teaches the model where texts stop, and keeps a window that spans two documents from reading
 * as one text. Also returns where each document starts, so a position can be traced back to its document.
 */
export function concatDocuments(
  documents: readonly ArrayLike<number>[],
  endOfTextId: number,
): { tokens: Int32Array; starts: number[] } {
  const total = documents.reduce((n, d) => n + d.length + 1, 0);
  const tokens = new Int32Array(total);
  const starts: number[] = [];
  let cursor = 0;
  for (const doc of documents) {
    starts.push(cursor);
    tokens.set(doc, cursor);
    cursor += doc.length;
    tokens[cursor++] = endOfTextId;
  }
  return { tokens, starts };
}

/** A 32-bit hash of (seed, step), so that batch `step` is the same whether or not the run was resumed. */
function mixSeed(seed: number, step: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkGeometry(stream: ArrayLike<number>, batchSize: number, seqLen: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(seqLen) || seqLen < 1) {
    throw new RangeError(`Batch size and sequence length must be whole numbers ≥ 1; got ${batchSize} and ${seqLen}.`);
  }
  if (stream.length < seqLen + 1) {
    throw new RangeError(
      `The token stream has ${stream.length} tokens, fewer than one window of seqLen + 1 = ${seqLen + 1}; use a shorter --seq or more text.`,
    );
  }
}

/** Rows cut at `offsets`: inputs stream[o … o+T), targets stream[o+1 … o+T]. */
export function batchAt(stream: ArrayLike<number>, offsets: readonly number[], seqLen: number): Batch {
  const batchSize = offsets.length;
  const inputs = new Int32Array(batchSize * seqLen);
  const targets = new Int32Array(batchSize * seqLen);
  offsets.forEach((o, b) => {
    if (o < 0 || o + seqLen + 1 > stream.length) {
      throw new RangeError(`A window at ${o} of ${seqLen + 1} tokens runs past the stream's ${stream.length} tokens.`);
    }
    for (let t = 0; t < seqLen; t++) {
      inputs[b * seqLen + t] = stream[o + t]!;
      targets[b * seqLen + t] = stream[o + t + 1]!;
    }
  });
  return { batchSize, seqLen, inputs, targets, offsets: [...offsets] };
}

/**
 * The training batch for `step`: B windows at uniformly random offsets. A pure function of (stream, step,
 * config) — the step is mixed into the seed — so a resumed run sees exactly the batches it would have seen,
 * with no RNG state to save.
 */
export function randomBatch(stream: ArrayLike<number>, step: number, config: BatchConfig): Batch {
  const { batchSize, seqLen, seed } = config;
  checkGeometry(stream, batchSize, seqLen);
  const random = seededRandom(mixSeed(seed, step));
  const positions = stream.length - seqLen; // valid offsets: 0 … len − T − 1
  const offsets = Array.from({ length: batchSize }, () => Math.floor(random() * positions));
  return batchAt(stream, offsets, seqLen);
}

/**
 * Evaluation batches: non-overlapping windows from the start of the stream, at most `maxWindows` of them,
 * evenly spaced when the stream holds more (so a capped evaluation still samples the whole split). The last
 * batch may be smaller than `batchSize`. Deterministic, so every checkpoint is scored on the same tokens.
 */
export function evalBatches(
  stream: ArrayLike<number>,
  batchSize: number,
  seqLen: number,
  maxWindows = Infinity,
): Batch[] {
  checkGeometry(stream, batchSize, seqLen);
  const available = Math.floor((stream.length - 1) / seqLen);
  const count = Math.min(available, maxWindows);
  const offsets = Array.from({ length: count }, (_, i) => Math.floor((i * available) / count) * seqLen);
  const batches: Batch[] = [];
  for (let i = 0; i < offsets.length; i += batchSize) {
    batches.push(batchAt(stream, offsets.slice(i, i + batchSize), seqLen));
  }
  return batches;
}
