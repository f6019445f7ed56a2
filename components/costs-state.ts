// Lesson 8's widgets' state, each shareable as a link: the memory view (?mem.…), the communication
// calculator with its decision view (?comm.…) and the fine-tuning experiment (?ft.…). Settings only; every
// number shown is computed or measured again from them.
import { ACCELERATORS, LINKS } from '../models/accounting/hardware.ts';
import { GENRES } from '../models/text/corpus.ts';
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { COST_MODELS } from './costs-models.ts';
import { integer, truncate, type Field, type Schema } from './url-state.ts';

function oneOf<T extends string | number>(label: string, values: readonly T[], fallback: T): Field<T> {
  return {
    default: fallback,
    parse(raw) {
      const value = values.find((v) => String(v) === raw);
      if (value !== undefined) return { ok: true, value };
      return { ok: false, problem: `${label} must be one of ${values.join(', ')}; the link had "${truncate(raw)}".` };
    },
    format: (value) => String(value),
  };
}

/** Precisions by their bytes per weight or element, as the calculators take them. */
export const PRECISIONS: readonly { id: string; label: string; bytes: number }[] = [
  { id: 'fp32', label: 'fp32 (4 bytes)', bytes: 4 },
  { id: 'bf16', label: 'bf16 (2 bytes)', bytes: 2 },
  { id: 'fp8', label: 'fp8 (1 byte)', bytes: 1 },
];
const PRECISION_IDS = PRECISIONS.map((p) => p.id);
export const bytesOf = (id: string): number => PRECISIONS.find((p) => p.id === id)?.bytes ?? 2;

/** Capacity factors offered; 0 stands for dropless (none). */
export const CAPACITY_CHOICES: readonly number[] = [0, 1, 1.25, 2];

export interface MemoryState {
  accelerator: string;
  precision: string;
  /** GB kept free for the KV cache and activations. */
  reserveGb: number;
  link: string;
  backend: BackendChoice;
}

export const memorySchema: Schema<MemoryState> = {
  prefix: 'mem',
  fields: {
    accelerator: oneOf(
      'The accelerator',
      ACCELERATORS.map((a) => a.id),
      'h100-sxm',
    ),
    precision: oneOf('The precision', PRECISION_IDS, 'bf16'),
    reserveGb: integer({ label: 'The reserve (GB)', min: 0, max: 1000, default: 8 }),
    link: oneOf(
      'The link',
      LINKS.map((l) => l.id),
      'pcie4',
    ),
    backend: oneOf('The backend', BACKEND_CHOICES, 'auto'),
  },
};

export interface CommState {
  model: string;
  k: number;
  precision: string;
  capacity: number;
  tokensPerDevice: number;
  devices: number;
  link: string;
  accelerator: string;
}

export const commSchema: Schema<CommState> = {
  prefix: 'comm',
  fields: {
    model: oneOf(
      'The model',
      COST_MODELS.map((m) => m.id),
      'mixtral-8x7b',
    ),
    k: integer({ label: 'K', min: 1, max: 256, default: 2 }),
    precision: oneOf('The precision', PRECISION_IDS, 'bf16'),
    capacity: oneOf('The capacity factor', CAPACITY_CHOICES, 0),
    tokensPerDevice: integer({ label: 'Tokens per device per step', min: 1, max: 1_000_000, default: 8192 }),
    devices: integer({ label: 'Devices', min: 2, max: 4096, default: 8 }),
    link: oneOf(
      'The link',
      LINKS.map((l) => l.id),
      'ib-ndr',
    ),
    accelerator: oneOf(
      'The accelerator',
      ACCELERATORS.map((a) => a.id),
      'h100-sxm',
    ),
  },
  reconcile(state) {
    const n = COST_MODELS.find((m) => m.id === state.model)?.shape.numExperts ?? 1;
    if (state.k <= n) return { state, problems: [] };
    return {
      state: { ...state, k: n },
      problems: [`K cannot exceed the model's ${n} experts; the link had ${state.k}, so K is ${n}.`],
    };
  },
};

/** Slice sizes (tokens of the genre's training documents) the fine-tuning experiment offers. */
export const SLICE_CHOICES: readonly number[] = [2048, 4096, 8192, 16384];
export const FT_STEP_CHOICES: readonly number[] = [10, 20, 40, 80, 160];

export interface FinetuneState {
  genre: string;
  slice: number;
  steps: number;
  freeze: boolean;
  backend: BackendChoice;
}

const bool = (label: string, fallback: boolean): Field<boolean> => ({
  default: fallback,
  parse: (raw) =>
    raw === '1' || raw === '0'
      ? { ok: true, value: raw === '1' }
      : { ok: false, problem: `${label} must be 0 or 1; the link had "${truncate(raw)}".` },
  format: (v) => (v ? '1' : '0'),
});

export const finetuneSchema: Schema<FinetuneState> = {
  prefix: 'ft',
  fields: {
    genre: oneOf(
      'The genre',
      GENRES.map((g) => g.code),
      'r',
    ),
    slice: oneOf('The slice size', SLICE_CHOICES, 4096),
    steps: oneOf('The steps', FT_STEP_CHOICES, 40),
    freeze: bool('Freeze the experts', false),
    backend: oneOf('The backend', BACKEND_CHOICES, 'auto'),
  },
};
