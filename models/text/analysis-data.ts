// The test split as the browser analyses it: every test document's token ids (test.bin, little-endian
// uint16, documents back to back) and each token's word class (test-pos.bin, one byte: the index into
// POS_CLASSES, 255 for a token that belongs to no word), with test.json saying where each document starts,
// its genre, and the SHA-256 of both files. `npm run moe -- data` writes them from the corpus with the same
// function the `analyze` command uses, so the worker's analysis of a window equals the CLI's.
import { sha256Hex } from '../checkpoint/checkpoint.ts';
import type { AnalysisDocument } from '../moe/analyze-windows.ts';
import { POS_CLASSES, type PosClass } from '../moe/analyze.ts';
import { fromUint16Bytes, MAX_TOKEN_DATA_VOCAB, toUint16Bytes } from './token-data.ts';

export const ANALYSIS_DATA_MANIFEST = 'test.json';
const IDS_FILE = 'test.bin';
const POS_FILE = 'test-pos.bin';
/** The class byte of a token outside every word (a newline between paragraphs). */
const NO_CLASS = 255;

interface FileEntry {
  file: string;
  size: number;
  sha256: string;
}

export interface AnalysisDataManifest {
  format: 'moe-lab-analysis-data';
  version: 1;
  tokenizer: { sha256: string; vocabSize: number };
  source: string;
  /** What each class byte means, in order. */
  posClasses: PosClass[];
  ids: FileEntry;
  pos: FileEntry;
  tokens: number;
  documents: { id: string; genre: string; start: number; length: number }[];
}

/** The three files for `documents` (ids and classes per token). */
export async function encodeAnalysisData(input: {
  tokenizer: { sha256: string; vocabSize: number };
  source: string;
  documents: readonly (AnalysisDocument & { id: string })[];
}): Promise<Map<string, Uint8Array>> {
  const { vocabSize } = input.tokenizer;
  if (vocabSize > MAX_TOKEN_DATA_VOCAB)
    throw new RangeError(`A vocabulary of ${vocabSize} does not fit in uint16 ids.`);
  const tokens = input.documents.reduce((n, d) => n + d.ids.length, 0);
  const ids = new Int32Array(tokens);
  const pos = new Uint8Array(tokens);
  const documents: AnalysisDataManifest['documents'] = [];
  let start = 0;
  for (const d of input.documents) {
    if (d.posClass.length !== d.ids.length) throw new RangeError(`Document ${d.id} needs one class per token.`);
    for (let t = 0; t < d.ids.length; t++) {
      ids[start + t] = d.ids[t]!;
      const cls = d.posClass[t];
      pos[start + t] = cls === null || cls === undefined ? NO_CLASS : POS_CLASSES.indexOf(cls);
    }
    documents.push({ id: d.id, genre: d.genre, start, length: d.ids.length });
    start += d.ids.length;
  }
  const idBytes = toUint16Bytes(ids, vocabSize);
  const manifest: AnalysisDataManifest = {
    format: 'moe-lab-analysis-data',
    version: 1,
    tokenizer: input.tokenizer,
    source: input.source,
    posClasses: [...POS_CLASSES],
    ids: { file: IDS_FILE, size: idBytes.byteLength, sha256: await sha256Hex(idBytes) },
    pos: { file: POS_FILE, size: pos.byteLength, sha256: await sha256Hex(pos) },
    tokens,
    documents,
  };
  return new Map([
    [IDS_FILE, idBytes],
    [POS_FILE, pos],
    [ANALYSIS_DATA_MANIFEST, new TextEncoder().encode(`${JSON.stringify(manifest)}\n`)],
  ]);
}

async function checked(entry: FileEntry, bytes: Uint8Array | undefined): Promise<Uint8Array> {
  if (!bytes) throw new Error(`The test data's ${entry.file} is missing; reload the page to fetch it again.`);
  if (bytes.byteLength !== entry.size) {
    throw new RangeError(
      `The test data's ${entry.file} is ${bytes.byteLength} bytes but ${ANALYSIS_DATA_MANIFEST} says ${entry.size} (an interrupted download?). Reload to fetch it again.`,
    );
  }
  if ((await sha256Hex(bytes)) !== entry.sha256) {
    throw new Error(
      `The test data's ${entry.file} does not match its SHA-256: it is corrupted. Reload to fetch it again.`,
    );
  }
  return bytes;
}

/** The files by name → the test documents, after checking sizes, checksums, classes and ids. Throws a sentence. */
export async function readAnalysisData(
  files: ReadonlyMap<string, Uint8Array>,
): Promise<{ manifest: AnalysisDataManifest; documents: (AnalysisDocument & { id: string })[] }> {
  const raw = files.get(ANALYSIS_DATA_MANIFEST);
  if (!raw) throw new Error(`The test data has no ${ANALYSIS_DATA_MANIFEST}.`);
  let manifest: AnalysisDataManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(raw)) as AnalysisDataManifest;
  } catch {
    throw new Error(`The test data's ${ANALYSIS_DATA_MANIFEST} is not JSON; reload to fetch it again.`);
  }
  if (manifest.format !== 'moe-lab-analysis-data' || manifest.version !== 1) {
    throw new Error(`${ANALYSIS_DATA_MANIFEST} is not version 1 of the analysis data format.`);
  }
  if (manifest.posClasses.join() !== POS_CLASSES.join()) {
    throw new Error(`The test data was written for other word classes (${manifest.posClasses.join(', ')}).`);
  }
  const ids = fromUint16Bytes(await checked(manifest.ids, files.get(manifest.ids.file)));
  const pos = await checked(manifest.pos, files.get(manifest.pos.file));
  if (ids.length !== manifest.tokens || pos.length !== manifest.tokens) {
    throw new RangeError(
      `The test data holds ${ids.length} ids and ${pos.length} classes for ${manifest.tokens} tokens.`,
    );
  }
  const documents = manifest.documents.map((d) => {
    if (d.start + d.length > manifest.tokens)
      throw new RangeError(`Document ${d.id} runs past the end of the test data.`);
    const posClass = Array.from(pos.subarray(d.start, d.start + d.length), (b) => {
      if (b === NO_CLASS) return null;
      const cls = POS_CLASSES[b];
      if (!cls) throw new RangeError(`Document ${d.id} has a class byte ${b}, which names no word class.`);
      return cls;
    });
    return { id: d.id, genre: d.genre, ids: ids.subarray(d.start, d.start + d.length), posClass };
  });
  return { manifest, documents };
}
