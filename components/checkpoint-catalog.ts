// The checkpoints shipped under models/checkpoints/, found at build time. Their files become hashed URLs
// (so the offline cache can never serve a stale file) and their small JSON files are bundled for labels.
import type { CheckpointSource } from '../models/engine/protocol.ts';

interface CheckpointConfig {
  num_local_experts: number;
  num_experts_per_tok: number;
  num_hidden_layers: number;
  hidden_size: number;
  intermediate_size: number;
}

interface Manifest {
  files: Record<string, { size: number; sha256: string }>;
}

export interface CatalogEntry extends CheckpointSource {
  /** "8 experts, top-2" */
  label: string;
  numExperts: number;
  trainedTopK: number;
  /** Bytes the reader downloads (all files). */
  downloadBytes: number;
}

const urls = import.meta.glob<string>(
  '../models/checkpoints/*/{config.json,model.safetensors,tokenizer.json,manifest.json}',
  {
    query: '?url',
    import: 'default',
    eager: true,
  },
);
const configs = import.meta.glob<CheckpointConfig>('../models/checkpoints/*/config.json', {
  import: 'default',
  eager: true,
});
const manifests = import.meta.glob<Manifest>('../models/checkpoints/*/manifest.json', {
  import: 'default',
  eager: true,
});

/** Dense first, then by experts, then top-1 variants after their top-2 siblings. */
const ORDER = ['dense', 'e4-top2', 'e8-top2', 'e16-top2', 'e8-top1'];

function idOf(path: string): string {
  return path.split('/').at(-2)!;
}

function label(config: CheckpointConfig): string {
  if (config.num_local_experts === 1) return `dense (one ${config.intermediate_size}-wide feed-forward block)`;
  return `${config.num_local_experts} experts, top-${config.num_experts_per_tok}`;
}

export const CHECKPOINTS: CatalogEntry[] = Object.entries(configs)
  .map(([path, config]) => {
    const id = idOf(path);
    const files: Record<string, string> = {};
    for (const [filePath, url] of Object.entries(urls)) {
      if (idOf(filePath) === id) files[filePath.split('/').at(-1)!] = url;
    }
    const manifest = Object.entries(manifests).find(([p]) => idOf(p) === id)?.[1];
    const downloadBytes = Object.values(manifest?.files ?? {}).reduce((sum, f) => sum + f.size, 0);
    return {
      id,
      files,
      label: label(config),
      numExperts: config.num_local_experts,
      trainedTopK: config.num_experts_per_tok,
      downloadBytes,
    };
  })
  // Only complete checkpoints: a directory still being trained has no weights yet.
  .filter((entry) => entry.files['model.safetensors'] && entry.files['tokenizer.json'])
  .sort((a, b) => (ORDER.indexOf(a.id) + 1 || 99) - (ORDER.indexOf(b.id) + 1 || 99) || a.id.localeCompare(b.id));

export function checkpointById(id: string): CatalogEntry | undefined {
  return CHECKPOINTS.find((c) => c.id === id);
}
