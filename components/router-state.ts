import { type Field, integer, type Schema, truncate } from './url-state.ts';
import { CHECKPOINTS } from './checkpoint-catalog.ts';
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import samples from '../models/checkpoints/samples.json';

/**
 * Longest text a link carries, in characters: room for a paragraph (about 16 contexts of 64 tokens) while the
 * link stays under the 8,000 bytes servers and browsers reliably accept, even with every character escaped.
 * Longer text stays on the page; the widget says the link holds a cut version.
 */
export const MAX_TEXT_IN_URL = 1000;

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
  // Any length parses; reconcile cuts a link's over-long text and says so, rather than dropping all of it.
  parse: (raw) => ({ ok: true, value: raw }),
  format: (value) => value.slice(0, MAX_TEXT_IN_URL),
};

const defaultCheckpoint = CHECKPOINTS.find((c) => c.id === 'e8-top2')?.id ?? CHECKPOINTS[0]?.id ?? '';

export const routerSchema: Schema<RouterState> = {
  prefix: 'moe',
  fields: {
    checkpoint: oneOf('The checkpoint', () => CHECKPOINTS.map((c) => c.id), defaultCheckpoint),
    k: integer({ label: 'K', min: 1, max: 64, default: 2 }),
    backend: oneOf('The backend', () => BACKEND_CHOICES, 'auto'),
    temperature: integer({ label: 'The temperature (×100)', min: 0, max: 200, default: 80 }),
    text,
  },
  reconcile(state) {
    const n = CHECKPOINTS.find((c) => c.id === state.checkpoint)?.numExperts ?? 1;
    const problems: string[] = [];
    let next = state;
    if (state.k > n) {
      next = { ...next, k: n };
      problems.push(`K cannot exceed the checkpoint's ${n} experts; the link had ${state.k}, so K is ${n}.`);
    }
    if (state.text.length > MAX_TEXT_IN_URL) {
      next = { ...next, text: state.text.slice(0, MAX_TEXT_IN_URL) };
      problems.push(
        `The text in the link is ${state.text.length.toLocaleString('en-US')} characters long; links carry at most ${MAX_TEXT_IN_URL.toLocaleString('en-US')}, so only its beginning is routed.`,
      );
    }
    return { state: next, problems };
  },
};
