/**
 * A checkpoint as one zip download, and back: the Hugging Face files of models/checkpoint.ts (config.json,
 * model.safetensors, tokenizer.json, manifest.json) at the top of the archive, so unzipping it gives a
 * folder that our loader, `npm run moe -- logits / eval` and PyTorch all read. Importing accepts the same
 * files inside one top-level folder too (what zipping a folder in a file manager makes), and checks them
 * exactly as a downloaded checkpoint is checked (manifest sizes and SHA-256, tensors against config.json).
 */

import { CONFIG_FILE, loadCheckpoint, MANIFEST_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from './checkpoint.ts';
import type { Checkpoint } from './checkpoint.ts';
import { readZip, writeZip } from './zip.ts';
import type { ReadZipLimits } from './zip.ts';

/** The files a checkpoint zip carries, in the order they are written. */
export const CHECKPOINT_ZIP_FILES = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE, MANIFEST_FILE] as const;

/** Files that operating systems add to archives and that mean nothing here. */
const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

/**
 * The zip of a saved checkpoint (`saveCheckpoint(...).files`). Only the checkpoint's own files go in;
 * anything else in `files` is a mistake and is refused.
 */
export function checkpointZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const known = new Set<string>(CHECKPOINT_ZIP_FILES);
  const unknown = [...files.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new Error(`A checkpoint zip holds only ${CHECKPOINT_ZIP_FILES.join(', ')}; got ${unknown.join(', ')}.`);
  for (const required of [CONFIG_FILE, WEIGHTS_FILE]) {
    if (!files.has(required)) throw new Error(`A checkpoint zip needs ${required}.`);
  }
  const ordered = new Map<string, Uint8Array>();
  for (const name of CHECKPOINT_ZIP_FILES) {
    const bytes = files.get(name);
    if (bytes) ordered.set(name, bytes);
  }
  return writeZip(ordered);
}

/**
 * The checkpoint files inside a zip, by their bare names. Accepts them at the top level or all inside one
 * folder; ignores operating-system clutter; refuses anything else with a sentence.
 */
export async function checkpointFilesFromZip(
  bytes: Uint8Array,
  options: ReadZipLimits & { label?: string } = {},
): Promise<Map<string, Uint8Array>> {
  const label = options.label ?? 'The chosen file';
  const entries = [...(await readZip(bytes, { ...options, label }))].filter(([name]) => !JUNK.test(name));
  const folders = new Set(
    entries.map(([name]) => (name.includes('/') ? name.slice(0, name.lastIndexOf('/') + 1) : '')),
  );
  if (folders.size > 1) {
    throw new Error(
      `${label} has files in several folders (${[...folders].map((f) => f || '(top)').join(', ')}); a checkpoint zip holds one folder's files.`,
    );
  }
  const prefix = [...folders][0] ?? '';
  const files = new Map(entries.map(([name, data]) => [name.slice(prefix.length), data]));
  const known = new Set<string>(CHECKPOINT_ZIP_FILES);
  const unknown = [...files.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `${label} holds ${unknown.join(', ')}, which a checkpoint does not have (expected ${CHECKPOINT_ZIP_FILES.join(', ')}).`,
    );
  }
  const missing = [CONFIG_FILE, WEIGHTS_FILE].filter((name) => !files.has(name));
  if (missing.length > 0) {
    throw new Error(
      `${label} is a zip without ${missing.join(' or ')}; a checkpoint zip needs ${CONFIG_FILE} and ${WEIGHTS_FILE} (MoE Lab's export also has ${TOKENIZER_FILE} and ${MANIFEST_FILE}).`,
    );
  }
  return files;
}

/** Reads and verifies a checkpoint zip: {@link checkpointFilesFromZip}, then models/checkpoint.ts loadCheckpoint. */
export async function loadCheckpointZip(
  bytes: Uint8Array,
  options: ReadZipLimits & { label?: string } = {},
): Promise<Checkpoint> {
  return loadCheckpoint(await checkpointFilesFromZip(bytes, options));
}
