// The "After Mixtral" widget's settings and views: every state round-trips through a link, a bad link gets
// a sentence and the default; each race lane validates and holds the plain lane's expert parameters; the
// routing summary counts expert choice's unrouted tokens and lists shared experts apart.
import { expect, it } from 'vitest';
import { LAYER_CHOICES, STEP_CHOICES, variantsSchema } from '../../components/after-mixtral-state.ts';
import { summarise, unroutedShare } from '../../components/variant-view.ts';
import { BACKEND_CHOICES } from '../../components/backends.ts';
import { defaults, readState, writeState } from '../../components/url-state.ts';
import type { TrainedRouting, TrainProgressMessage } from '../../models/engine/protocol.ts';
import { countParameters } from '../../models/accounting/params.ts';
import { validateTrainRun } from '../../models/training/train-config.ts';
import { VARIANTS, variantRun } from '../../models/training/variant-runs.ts';

it('round-trips every variant, step count, layer and backend through the link', () => {
  for (const variant of VARIANTS) {
    for (const steps of STEP_CHOICES) {
      const state = { variant, steps, layer: LAYER_CHOICES[1], backend: BACKEND_CHOICES.at(-1)! };
      expect(readState(variantsSchema, writeState(variantsSchema, state, new URLSearchParams()))).toEqual({
        state,
        problems: [],
      });
    }
  }
});

it('replaces a bad link value by its default with a sentence', () => {
  const { state, problems } = readState(
    variantsSchema,
    new URLSearchParams('variants.variant=moe-of-moes&variants.steps=1e9&variants.layer=3'),
  );
  expect(state).toEqual(defaults(variantsSchema));
  expect(problems).toEqual([
    'The variant must be one of shared, fine-grained, sigmoid, expert-choice, soft-moe; the link had "moe-of-moes".',
    'The number of steps must be one of 10, 20, 50, 100, 200, 400; the link had "1e9".',
    'The layer must be one of 1, 2; the link had "3".',
  ]);
});

it('every race lane validates and uses the plain lane’s active and total expert parameters', () => {
  const context = { vocabSize: 1024, endOfTextId: 0 };
  const experts = (id: (typeof VARIANTS)[number] | 'plain') => {
    const v = validateTrainRun(variantRun(id, 100, 1), context);
    if (!v.ok) throw new Error(`${id}: ${v.errors.join(' ')}`);
    const { total, active } = countParameters(v.modelConfig).breakdown;
    return {
      total: total.routedExperts + total.sharedExperts,
      active: active.routedExperts + active.sharedExperts,
      config: v.modelConfig,
    };
  };
  const plain = experts('plain');
  for (const id of VARIANTS) {
    const lane = experts(id);
    expect({ total: lane.total, active: lane.active }, id).toEqual({ total: plain.total, active: plain.active });
  }
  expect(experts('soft-moe').config.num_slots_per_expert).toBe(16); // 64 tokens · K 2 / 8 experts
  expect(experts('expert-choice').config.expert_choice_capacity_factor).toBe(2);
});

it('summarises a routed passage: unrouted tokens under expert choice, shared experts apart', () => {
  const routed: TrainedRouting = {
    tokens: ['<|endoftext|>', 'The', ' jury'],
    numExperts: 2,
    sharedExperts: 0,
    routing: 'expert-choice',
    scoring: 'softmax',
    layers: [{ experts: [[1, 0], [], [0]], weights: [[0.6, 0.4], [], [0.9]], expertTokens: [2, 1] }],
  };
  const summary = summarise(routed, 1)!;
  expect(summary.tokens.map((t) => t.experts)).toEqual([[2, 1], [], [1]]);
  expect(summary.unrouted).toBe(1);
  expect(summarise(routed, 2)).toBeNull();
  expect(summarise({ ...routed, routing: 'token-choice' }, 1)!.unrouted).toBe(0);
  const p = { unroutedTokens: [64, 0] } as unknown as TrainProgressMessage;
  expect(unroutedShare(p, 512)).toBe(64 / 1024);
  expect(unroutedShare({} as TrainProgressMessage, 512)).toBeNull();
});
