// The "After Mixtral" race's state, shareable as a link: ?variants.variant=expert-choice&variants.steps=100
// races expert choice against plain top-2 for 100 steps. Only settings live here; losses are measured anew.
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { VARIANTS, type Variant } from '../models/training/variant-runs.ts';
import type { Field, Schema } from './url-state.ts';

/** Fixed step counts: each a few seconds to a few minutes in a tab, none long enough to freeze it. */
export const STEP_CHOICES = [10, 20, 50, 100, 200, 400] as const;
export const LAYER_CHOICES = [1, 2] as const;

/** The passage both trained models route: news prose in the Brown Corpus's manner, short enough for one context. */
export const VARIANTS_PASSAGE =
  'The jury said the city had managed the election well, and the mayor thanked the voters.';

export interface VariantsState {
  variant: Variant;
  steps: number;
  /** The layer the routing view shows (the race's models have 2). */
  layer: number;
  backend: BackendChoice;
}

function oneOf<T extends string | number>(label: string, values: readonly T[], fallback: T): Field<T> {
  return {
    default: fallback,
    parse(raw) {
      const value = values.find((v) => String(v) === raw);
      if (value !== undefined) return { ok: true, value };
      return {
        ok: false,
        problem: `${label} must be one of ${values.join(', ')}; the link had "${raw.slice(0, 40)}".`,
      };
    },
    format: (value) => String(value),
  };
}

export const variantsSchema: Schema<VariantsState> = {
  prefix: 'variants',
  fields: {
    variant: oneOf('The variant', VARIANTS, 'shared'),
    steps: oneOf('The number of steps', STEP_CHOICES, 100),
    layer: oneOf('The layer', LAYER_CHOICES, 1),
    // WebAssembly by default, as lesson 3's training widget: at these sizes it beats a GPU's per-kernel overhead.
    backend: oneOf('The backend', BACKEND_CHOICES, 'wasm'),
  },
};
