// The benchmark widget's state, shareable as a link: ?bench.tokens=128&bench.backend=wasm runs a small
// sweep on WebAssembly. Only settings live here; results are measured anew on every reader's machine.
import type { Pass } from '../models/accounting/bench-cases.ts';
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { truncate, type Field, type Schema } from './url-state.ts';

/** Tokens per batch the reader can pick: small enough for a phone, large enough to see the trend. */
export const TOKEN_CHOICES: readonly number[] = [128, 256, 512, 1024, 2048];
export const REP_CHOICES: readonly number[] = [3, 5, 9];
export const PASS_CHOICES: readonly Pass[] = ['forward', 'training'];

export interface SparseBenchState {
  /** Tokens per batch: the rows of the layer's input matrix. */
  tokens: number;
  /** Forward only, or forward + backward (a training step). */
  pass: Pass;
  /** Timed runs per case; the median is plotted. */
  reps: number;
  backend: BackendChoice;
}

/** A field that accepts only the listed values (numbers or words). */
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

export const sparseBenchSchema: Schema<SparseBenchState> = {
  prefix: 'bench',
  fields: {
    tokens: oneOf('Tokens per batch', TOKEN_CHOICES, 512),
    pass: oneOf('The pass', PASS_CHOICES, 'forward'),
    reps: oneOf('Timed runs per case', REP_CHOICES, 5),
    backend: oneOf('The backend', BACKEND_CHOICES, 'auto'),
  },
};

/** Untimed runs before the timed ones: the first run on a backend compiles kernels and allocates. */
export const WARMUP_RUNS = 1;
