// The training widget's state, shareable as a link: ?train.mode=race&train.steps=300&train.seed=1 races the
// dense model against the 8-expert one. Only settings live here; losses are measured anew in every browser.
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { integer, type Field, type Schema } from './url-state.ts';

export const MODE_CHOICES = ['moe', 'dense', 'race'] as const;
export type TrainMode = (typeof MODE_CHOICES)[number];

export interface TrainState {
  /** Train the 8-expert model, the dense one, or both side by side. */
  mode: TrainMode;
  steps: number;
  seed: number;
  backend: BackendChoice;
}

/** Steps a reader can ask for: the warm-up needs 10, and 2,000 is about as long as a tab should stay busy. */
export const STEP_LIMITS = { min: 10, max: 2000 } as const;

/** Seeds a link or the seed field can carry. */
export const SEED_LIMITS = { min: 0, max: 999_999 } as const;

function oneOf<T extends string>(label: string, values: readonly T[], fallback: T): Field<T> {
  return {
    default: fallback,
    parse(raw) {
      const value = values.find((v) => v === raw);
      if (value !== undefined) return { ok: true, value };
      return { ok: false, problem: `${label} must be one of ${values.join(', ')}; the link had "${raw}".` };
    },
    format: (value) => value,
  };
}

export const trainSchema: Schema<TrainState> = {
  prefix: 'train',
  fields: {
    mode: oneOf('The model', MODE_CHOICES, 'moe'),
    steps: integer({ label: 'The number of steps', ...STEP_LIMITS, default: 200 }),
    seed: integer({ label: 'The seed', ...SEED_LIMITS, default: 1 }),
    // WebAssembly by default: at these sizes it beats a GPU backend's per-kernel overhead (README, Performance).
    backend: oneOf('The backend', BACKEND_CHOICES, 'wasm'),
  },
};
