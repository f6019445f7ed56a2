/**
 * A MoE Lab checkpoint is a directory a Hugging Face user would recognise:
 *
 *   config.json        MixtralConfig (models/nn/config.ts)
 *   model.safetensors  every tensor of mixtralTensorSpecs(config), nothing else
 *   tokenizer.json     the tokenizer (optional)
 *   manifest.json      each file's size and SHA-256 (optional; ours, not Hugging Face's)
 *
 * The files travel as bytes by name, so the same loader serves Node (models/node/checkpoint-fs.ts reads the
 * directory) and the browser (fetch). A checkpoint exported from PyTorch — config.json and
 * model.safetensors only — loads too; the result then says that nothing was checksummed.
 */

import { mixtralTensorSpecs, parseMixtralConfig, shapeSize, type MixtralConfig } from '../nn/config.ts';
import { decodeSafetensors, encodeSafetensors, type FloatDtype, type HostTensor } from './safetensors.ts';

/** The checkpoint's files, as bytes by file name. */
export type CheckpointFiles = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** One file's entry in manifest.json. */
export interface ManifestEntry {
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
}

/** manifest.json: what each file must be, so corruption and partial downloads are caught before use. */
export interface CheckpointManifest {
  format: 'moe-lab-checkpoint';
  version: 1;
  files: Record<string, ManifestEntry>;
}

/** A loaded, verified checkpoint. */
export interface Checkpoint {
  config: MixtralConfig;
  /** Every tensor of mixtralTensorSpecs(config), by Hugging Face name. */
  tensors: Map<string, HostTensor>;
  /** The parsed tokenizer.json, when the checkpoint has one. */
  tokenizerJson?: unknown;
  /** The manifest the files were checked against; absent when there was none. */
  manifest?: CheckpointManifest;
  /** The safetensors `__metadata__`. */
  metadata: Record<string, string>;
  /** What was and was not verified, in sentences (e.g. "No manifest.json: sizes and SHA-256 were not checked."). */
  notes: string[];
}

/** What {@link saveCheckpoint} needs. */
export interface SaveCheckpointInput {
  config: MixtralConfig;
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: ArrayLike<number> }>;
  tokenizerJson?: unknown;
  /** Storage dtype of the weights (default F32). */
  dtype?: FloatDtype;
  /** Extra `__metadata__` strings for model.safetensors. */
  metadata?: Record<string, string>;
}

/** The bytes of each file to write, and the manifest (also among the files, as manifest.json). */
export interface SavedCheckpoint {
  files: Map<string, Uint8Array>;
  manifest: CheckpointManifest;
}

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const TOKENIZER_FILE = 'tokenizer.json';
export const MANIFEST_FILE = 'manifest.json';

/** SHA-256 of `bytes` as lowercase hex, by WebCrypto (Node ≥ 19 and every browser). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function fileMap(files: CheckpointFiles): ReadonlyMap<string, Uint8Array> {
  return files instanceof Map ? files : new Map(Object.entries(files));
}

function parseJsonFile(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyntaxError(`${file} is not valid JSON (${reason}); the file is corrupted or was cut short.`, {
      cause: error,
    });
  }
}

/**
 * Loads a checkpoint from its files: checks the manifest (sizes, then SHA-256) when there is one, parses
 * config.json, decodes model.safetensors, and checks that the tensors are exactly those of
 * mixtralTensorSpecs(config) with the right shapes. Throws a sentence naming the file and what is wrong.
 */
export async function loadCheckpoint(files: CheckpointFiles): Promise<Checkpoint> {
  const byName = fileMap(files);
  const notes: string[] = [];
  for (const required of [CONFIG_FILE, WEIGHTS_FILE]) {
    if (!byName.has(required))
      throw new Error(`The checkpoint has no ${required}; a checkpoint needs ${CONFIG_FILE} and ${WEIGHTS_FILE}.`);
  }
  let manifest: CheckpointManifest | undefined;
  const manifestBytes = byName.get(MANIFEST_FILE);
  if (manifestBytes) {
    manifest = parseManifest(parseJsonFile(manifestBytes, MANIFEST_FILE));
    await verifyManifest(manifest, byName);
    notes.push(`Sizes and SHA-256 of ${Object.keys(manifest.files).join(', ')} match ${MANIFEST_FILE}.`);
  } else {
    notes.push(
      `No ${MANIFEST_FILE}: file sizes and SHA-256 were not checked (as for a checkpoint exported from PyTorch).`,
    );
  }

  const config = parseMixtralConfig(parseJsonFile(byName.get(CONFIG_FILE)!, CONFIG_FILE));
  const decoded = decodeSafetensors(byName.get(WEIGHTS_FILE)!, WEIGHTS_FILE);
  checkTensors(config, decoded.tensors);
  const tensors = new Map<string, HostTensor>();
  for (const [name, { shape, data }] of decoded.tensors) tensors.set(name, { shape, data });
  const dtypes = new Set([...decoded.tensors.values()].map((t) => t.dtype));
  notes.push(`${tensors.size} tensors, stored as ${[...dtypes].join(' and ') || 'nothing'}, match config.json.`);

  const checkpoint: Checkpoint = { config, tensors, metadata: decoded.metadata, notes };
  const tokenizerBytes = byName.get(TOKENIZER_FILE);
  if (tokenizerBytes) checkpoint.tokenizerJson = parseJsonFile(tokenizerBytes, TOKENIZER_FILE);
  else notes.push(`No ${TOKENIZER_FILE}.`);
  if (manifest) checkpoint.manifest = manifest;
  return checkpoint;
}

function parseManifest(json: unknown): CheckpointManifest {
  const obj = json as Partial<CheckpointManifest> | null;
  if (typeof obj !== 'object' || obj === null || obj.format !== 'moe-lab-checkpoint' || obj.version !== 1) {
    throw new TypeError(`${MANIFEST_FILE} must have "format": "moe-lab-checkpoint" and "version": 1.`);
  }
  if (typeof obj.files !== 'object' || obj.files === null) {
    throw new TypeError(`${MANIFEST_FILE} must have "files": { "<name>": { "size": …, "sha256": … } }.`);
  }
  for (const [name, entry] of Object.entries(obj.files)) {
    if (
      !Number.isSafeInteger(entry?.size) ||
      typeof entry?.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(entry.sha256)
    ) {
      throw new TypeError(
        `${MANIFEST_FILE}: the entry for ${name} must have a whole-number size and a 64-character lowercase hex sha256.`,
      );
    }
  }
  return obj as CheckpointManifest;
}

/** Sizes first (cheap, and a short file says "truncated"), then SHA-256. */
async function verifyManifest(manifest: CheckpointManifest, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [name, entry] of Object.entries(manifest.files)) {
    const bytes = files.get(name);
    if (!bytes)
      throw new Error(
        `${MANIFEST_FILE} lists ${name} but the checkpoint has no such file; the download or copy is incomplete.`,
      );
    if (bytes.byteLength < entry.size) {
      throw new RangeError(
        `${name} is ${bytes.byteLength} bytes but ${MANIFEST_FILE} says ${entry.size}; the file is truncated.`,
      );
    }
    if (bytes.byteLength !== entry.size) {
      throw new RangeError(
        `${name} is ${bytes.byteLength} bytes but ${MANIFEST_FILE} says ${entry.size}; the file was changed.`,
      );
    }
  }
  for (const [name, entry] of Object.entries(manifest.files)) {
    const actual = await sha256Hex(files.get(name)!);
    if (actual !== entry.sha256) {
      throw new Error(
        `${name}: SHA-256 mismatch — expected ${entry.sha256}, got ${actual}; the file is corrupted or was changed.`,
      );
    }
  }
}

/**
 * Throws unless `tensors` holds exactly the tensors of mixtralTensorSpecs(config), each with its shape.
 * Exported so a trainer can check its parameters before it saves them.
 */
export function checkTensors(config: MixtralConfig, tensors: ReadonlyMap<string, { shape: readonly number[] }>): void {
  const specs = mixtralTensorSpecs(config);
  const expected = new Set(specs.map((s) => s.name));
  const missing = specs.filter((s) => !tensors.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    throw new Error(`${WEIGHTS_FILE} is missing ${listNames(missing)}; the weights do not match config.json.`);
  }
  const unexpected = [...tensors.keys()].filter((name) => !expected.has(name));
  if (unexpected.length > 0) {
    const tied =
      config.tie_word_embeddings && unexpected.includes('lm_head.weight')
        ? ' (tie_word_embeddings is true, so lm_head.weight must not be stored)'
        : '';
    throw new Error(`${WEIGHTS_FILE} has tensors config.json does not describe: ${listNames(unexpected)}${tied}.`);
  }
  for (const spec of specs) {
    const actual = tensors.get(spec.name)!.shape;
    if (actual.length !== spec.shape.length || actual.some((n, i) => n !== spec.shape[i])) {
      throw new RangeError(
        `${WEIGHTS_FILE}: ${spec.name} has shape [${actual.join(', ')}] but config.json implies [${spec.shape.join(', ')}].`,
      );
    }
  }
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${names.length} tensors: ${shown} and ${names.length - 5} more` : shown;
}

/**
 * Serialises a checkpoint: config.json, model.safetensors (tensors in mixtralTensorSpecs order),
 * tokenizer.json when given, and manifest.json with each file's size and SHA-256. Checks the tensors
 * against the config first, so a bad checkpoint is never written.
 */
export async function saveCheckpoint(input: SaveCheckpointInput): Promise<SavedCheckpoint> {
  checkTensors(input.config, input.tensors);
  for (const spec of mixtralTensorSpecs(input.config)) {
    const tensor = input.tensors.get(spec.name)!;
    if (tensor.data.length !== shapeSize(spec.shape)) {
      throw new RangeError(`${spec.name} has shape [${spec.shape.join(', ')}] but ${tensor.data.length} values.`);
    }
  }
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  files.set(CONFIG_FILE, encoder.encode(`${JSON.stringify(input.config, null, 2)}\n`));
  const ordered = mixtralTensorSpecs(input.config).map((s) => [s.name, input.tensors.get(s.name)!] as const);
  // `format: pt` is what transformers' safetensors loader expects to find.
  const metadata = { format: 'pt', ...input.metadata };
  files.set(WEIGHTS_FILE, encodeSafetensors(ordered, { dtype: input.dtype ?? 'F32', metadata }));
  if (input.tokenizerJson !== undefined) files.set(TOKENIZER_FILE, encoder.encode(JSON.stringify(input.tokenizerJson)));
  const manifest: CheckpointManifest = { format: 'moe-lab-checkpoint', version: 1, files: {} };
  for (const [name, bytes] of files) manifest.files[name] = { size: bytes.byteLength, sha256: await sha256Hex(bytes) };
  files.set(MANIFEST_FILE, encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return { files, manifest };
}
