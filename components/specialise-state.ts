// Lesson 7's widget state, shareable as a link: ?spec.checkpoint=e16-top2&spec.k=2&spec.layer=1 shows that
// model's routing; the live recompute's window count and the reader's text travel too. Results never do:
// the shipped analysis is the file's, the live one is measured again.
import { CHECKPOINTS } from './checkpoint-catalog.ts';
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { integer, truncate, type Field, type Schema } from './url-state.ts';

/** Context windows per test document a live recompute covers; 0 = every window (the shipped analysis's). */
export const WINDOW_CHOICES: readonly number[] = [1, 2, 4, 0];
/** Longest text of the reader's own a link carries (the router routes at most ~1,000 tokens). */
export const MAX_SPEC_TEXT = 600;

export interface SpecialiseState {
  checkpoint: string;
  k: number;
  /** 1-based layer shown. */
  layer: number;
  windows: number;
  backend: BackendChoice;
  text: string;
}

/** The checkpoints with experts to compare (the dense model has one). */
export const MOE_CHECKPOINTS = CHECKPOINTS.filter((c) => c.numExperts > 1);

function oneOf<T extends string | number>(label: string, values: () => readonly T[], fallback: T): Field<T> {
  return {
    default: fallback,
    parse(raw) {
      const value = values().find((v) => String(v) === raw);
      if (value !== undefined) return { ok: true, value };
      return { ok: false, problem: `${label} must be one of ${values().join(', ')}; the link had "${truncate(raw)}".` };
    },
    format: (value) => String(value),
  };
}

export const DEFAULT_SPEC_TEXT = 'The committee said on Monday that 12 new schools would open in the city.';

export const specialiseSchema: Schema<SpecialiseState> = {
  prefix: 'spec',
  fields: {
    checkpoint: oneOf(
      'The checkpoint',
      () => MOE_CHECKPOINTS.map((c) => c.id),
      MOE_CHECKPOINTS.find((c) => c.id === 'e8-top2')?.id ?? MOE_CHECKPOINTS[0]?.id ?? '',
    ),
    k: integer({ label: 'K', min: 1, max: 64, default: 2 }),
    layer: integer({ label: 'The layer', min: 1, max: 64, default: 1 }),
    windows: oneOf('Windows per document (0 = all)', () => WINDOW_CHOICES, 1),
    backend: oneOf('The backend', () => BACKEND_CHOICES, 'auto'),
    text: {
      default: DEFAULT_SPEC_TEXT,
      parse: (raw) => ({ ok: true, value: raw }),
      format: (value) => value.slice(0, MAX_SPEC_TEXT),
    },
  },
  reconcile(state) {
    const n = CHECKPOINTS.find((c) => c.id === state.checkpoint)?.numExperts ?? 1;
    const problems: string[] = [];
    let next = state;
    if (state.k > n) {
      next = { ...next, k: n };
      problems.push(`K cannot exceed the checkpoint's ${n} experts; the link had ${state.k}, so K is ${n}.`);
    }
    if (state.text.length > MAX_SPEC_TEXT) {
      next = { ...next, text: state.text.slice(0, MAX_SPEC_TEXT) };
      problems.push(`The text in the link is longer than ${MAX_SPEC_TEXT} characters; only its beginning is used.`);
    }
    return { state: next, problems };
  },
};
