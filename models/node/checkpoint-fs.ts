// Node-only: checkpoint directories on disk. models/checkpoint/checkpoint.ts works on bytes so the browser can share it;
// this file is the thin layer that reads and writes those bytes.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_FILE,
  MANIFEST_FILE,
  TOKENIZER_FILE,
  WEIGHTS_FILE,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
  type SaveCheckpointInput,
} from '../checkpoint/checkpoint.ts';

const CHECKPOINT_FILES = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE, MANIFEST_FILE];

/** Reads the checkpoint files that exist in `dir` (config.json, model.safetensors, tokenizer.json, manifest.json). */
export async function readCheckpointDir(dir: string): Promise<Map<string, Uint8Array>> {
  if (!existsSync(dir)) throw new Error(`No checkpoint directory at ${dir}.`);
  const files = new Map<string, Uint8Array>();
  for (const name of CHECKPOINT_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) files.set(name, new Uint8Array(await readFile(path)));
  }
  return files;
}

/** Reads and verifies the checkpoint in `dir`. */
export async function loadCheckpointDir(dir: string): Promise<Checkpoint> {
  return loadCheckpoint(await readCheckpointDir(dir));
}

/**
 * Writes `files` into `dir` (created if needed). Each file goes to a temporary name first and is renamed
 * into place, and manifest.json is written last: an interrupted save leaves either the old manifest, whose
 * checksums then fail loudly, or no new manifest at all — never a manifest vouching for half-written weights.
 */
export async function writeCheckpointDir(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const order = [...files.keys()].sort((a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE));
  for (const name of order) {
    const path = join(dir, name);
    await writeFile(`${path}.tmp`, files.get(name)!);
    await rename(`${path}.tmp`, path);
  }
}

/** Serialises (models/checkpoint/checkpoint.ts saveCheckpoint) and writes a checkpoint into `dir`. */
export async function saveCheckpointDir(dir: string, input: SaveCheckpointInput): Promise<void> {
  const { files } = await saveCheckpoint(input);
  await writeCheckpointDir(dir, files);
}
