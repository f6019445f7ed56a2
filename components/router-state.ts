import { type Field, integer, type Schema, truncate } from './url-state.ts';
import { CHECKPOINTS } from './checkpoint-catalog.ts';
import type { BackendName } from '../models/engine/protocol.ts';
import samples from '../models/checkpoints/samples.json';

export type BackendChoice = BackendName | 'auto';
const BACKENDS: readonly BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** Longest text a link carries; longer text is kept on the page but not in the URL. */
export const MAX_TEXT_IN_URL = 400;

export interface RouterState {
  checkpoint: string;
  /** Experts per token at inference, 1 ≤ K ≤ the checkpoint's N. */
  k: number;
  backend: BackendChoice;
  /** Sampling temperature × 100, kept whole so links stay short and exact. */
  temperature: number;
  text: string;
}

function oneOf<T extends string>(label: string, values: () => readonly T[], fallback: T): Field<T> {
  return {
    default: fallback,
    parse(raw) {
      const known = values();
      if ((known as readonly string[]).includes(raw)) return { ok: true, value: raw as T };
      return { ok: false, problem: `${label} must be one of ${known.join(', ')}; the link had "${truncate(raw)}".` };
    },
    format: (value) => value,
  };
}

const text: Field<string> = {
  default: samples.prompts[0]?.text ?? '',
  parse(raw) {
    if (raw.length > MAX_TEXT_IN_URL) {
      return { ok: false, problem: `The text in the link is longer than ${MAX_TEXT_IN_URL} characters.` };
    }
    return { ok: true, value: raw };
  },
  format: (value) => value.slice(0, MAX_TEXT_IN_URL),
};

const defaultCheckpoint = CHECKPOINTS.find((c) => c.id === 'e8-top2')?.id ?? CHECKPOINTS[0]?.id ?? '';

export const routerSchema: Schema<RouterState> = {
  prefix: 'moe',
  fields: {
    checkpoint: oneOf('The checkpoint', () => CHECKPOINTS.map((c) => c.id), defaultCheckpoint),
    k: integer({ label: 'K', min: 1, max: 64, default: 2 }),
    backend: oneOf('The backend', () => BACKENDS, 'auto'),
    temperature: integer({ label: 'The temperature (×100)', min: 0, max: 200, default: 80 }),
    text,
  },
  reconcile(state) {
    const n = CHECKPOINTS.find((c) => c.id === state.checkpoint)?.numExperts ?? 1;
    if (state.k <= n) return { state, problems: [] };
    return {
      state: { ...state, k: n },
      problems: [`K cannot exceed the checkpoint's ${n} experts; the link had ${state.k}, so K is ${n}.`],
    };
  },
};
