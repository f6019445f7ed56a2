// The training widget's URL schema: every state round-trips through a link, and a bad link gets sentences
// and the defaults, never a crash.
import { describe, expect, it } from 'vitest';
import { trainSchema, type TrainState } from '../../components/train-state.ts';
import { defaults, readState, writeState } from '../../components/url-state.ts';

describe('train URL state', () => {
  it('round-trips every mode and backend', () => {
    for (const mode of ['moe', 'dense', 'race'] as const) {
      for (const backend of ['auto', 'wasm', 'cpu', 'webgl', 'webgpu'] as const) {
        const state: TrainState = { mode, steps: 137, seed: 42, backend };
        const params = writeState(trainSchema, state, new URLSearchParams('moe.k=2'));
        expect(params.get('moe.k')).toBe('2'); // other widgets' parameters are kept
        expect(readState(trainSchema, params)).toEqual({ state, problems: [] });
      }
    }
  });

  it('replaces bad values by the defaults and says why', () => {
    const { state, problems } = readState(
      trainSchema,
      new URLSearchParams('train.mode=sparse&train.steps=5&train.seed=-1&train.backend=tpu'),
    );
    expect(state).toEqual(defaults(trainSchema));
    expect(problems).toHaveLength(4);
    expect(problems[1]).toBe('The number of steps must be a whole number from 10 to 2,000; the link had "5".');
  });
});
