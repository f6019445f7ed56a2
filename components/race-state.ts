// Lesson 5's race, shareable as a link: ?race.experts=8&race.k=2&race.steps=500&race.total=1 races the dense
// model against the 8-expert one and the dense one of equal total parameters. Settings only; the losses are
// measured anew in every browser.
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { integer, truncate, type Field, type Schema } from './url-state.ts';

export const EXPERT_CHOICES = [2, 4, 8, 16] as const;
/** Steps a race can run: a few hundred fit in about two minutes on wasm (README); the longest is a coffee break. */
export const RACE_STEP_CHOICES = [50, 100, 200, 300, 500, 1000] as const;

export interface RaceState {
  experts: number;
  /** K ≤ experts. */
  k: number;
  steps: number;
  /** Add the dense model of equal total parameters. */
  total: boolean;
  seed: number;
  backend: BackendChoice;
}

function choice<T extends string | number>(label: string, values: readonly T[], fallback: T): Field<T> {
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

const flag = (label: string, fallback: boolean): Field<boolean> => ({
  default: fallback,
  parse(raw) {
    if (raw === '1' || raw === '0') return { ok: true, value: raw === '1' };
    return { ok: false, problem: `${label} must be 1 (on) or 0 (off); the link had "${truncate(raw)}".` };
  },
  format: (value) => (value ? '1' : '0'),
});

export const raceSchema: Schema<RaceState> = {
  prefix: 'race',
  fields: {
    experts: choice('The number of experts N', EXPERT_CHOICES, 8),
    k: integer({ label: 'K', min: 1, max: 16, default: 2 }),
    steps: choice('The number of steps', RACE_STEP_CHOICES, 500),
    total: flag('The equal-total lane', false),
    seed: integer({ label: 'The seed', min: 0, max: 999_999, default: 1 }),
    // WebAssembly by default: at these sizes it beats a GPU backend's per-kernel overhead (README, Performance).
    backend: choice('The backend', BACKEND_CHOICES, 'wasm'),
  },
  reconcile(state) {
    if (state.k <= state.experts) return { state, problems: [] };
    return {
      state: { ...state, k: state.experts },
      problems: [`K cannot exceed the ${state.experts} experts; the link had ${state.k}, so K is ${state.experts}.`],
    };
  },
};

export { flag as booleanField, choice as choiceField };
