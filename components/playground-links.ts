// Which playground notebook extends each lesson widget, and the widget's state as that notebook's params
// (playground/notebook-params.ts reads them back; the notebook's frontmatter declares them). One function per
// widget, from its own state schema, so a link always carries what the reader is looking at.
import { notebookQuery, type ParamValue } from '../playground/notebook-params.ts';
import { gateSchema, type GateState } from './gate-state.ts';
import { paramCalculatorSchema, type ParamCalculatorState } from './param-calculator-state.ts';
import type { RouterState } from './router-state.ts';
import type { SparseBenchState } from './sparse-bench-state.ts';
import type { TrainState } from './train-state.ts';
import type { RaceState } from './race-state.ts';
import type { BalanceState } from './balance-state.ts';
import type { SpecialiseState } from './specialise-state.ts';

export interface PlaygroundLink {
  /** The notebook's slug: notebooks/<slug>.md, served at /playground/<slug>/. */
  notebook: string;
  /** What the link says, after "Open in the playground:". */
  label: string;
  params: Record<string, ParamValue>;
}

export function gateLinks(state: GateState): PlaygroundLink[] {
  return [
    {
      notebook: 'gate-by-hand',
      label: 'the gate by hand',
      params: { n: state.n, k: state.k, x: gateSchema.fields.x.format(state.x) },
    },
  ];
}

export function calculatorLinks(state: ParamCalculatorState): PlaygroundLink[] {
  return [
    {
      notebook: 'count-parameters',
      label: 'count parameters in code',
      params: {
        model: state.model,
        edits: paramCalculatorSchema.fields.edits.format(state.edits),
        context: state.context,
        batch: state.batch,
      },
    },
  ];
}

export function routerLinks(state: RouterState): PlaygroundLink[] {
  return [
    {
      notebook: 'route-a-sentence',
      label: 'route this text',
      params: { checkpoint: state.checkpoint, k: state.k, text: state.text },
    },
    {
      notebook: 'generate-with-k',
      label: 'generate with every K',
      // The widget keeps the temperature ×100 so its links stay exact; the notebook takes the number itself.
      params: { checkpoint: state.checkpoint, text: state.text, temperature: state.temperature / 100 },
    },
  ];
}

export function benchLinks(state: SparseBenchState): PlaygroundLink[] {
  return [{ notebook: 'sweep-k', label: 'sweep K on a real model', params: { reps: state.reps } }];
}

export function trainLinks(state: TrainState): PlaygroundLink[] {
  return [
    {
      notebook: 'train-tiny-moe',
      label: 'train in code',
      params: { mode: state.mode, steps: state.steps, seed: state.seed },
    },
    { notebook: 'load-balancing', label: 'load balancing on and off', params: { seed: state.seed } },
  ];
}

export function raceLinks(state: RaceState): PlaygroundLink[] {
  return [
    {
      notebook: 'train-tiny-moe',
      label: 'race in code',
      params: { mode: 'race', steps: state.steps, seed: state.seed },
    },
  ];
}

export function balanceLinks(state: BalanceState): PlaygroundLink[] {
  // α = 0 is the notebook's own "none" lane; its aux-loss lane then keeps the notebook's default coefficient.
  const alpha: Record<string, ParamValue> = state.alpha > 0 ? { auxLossCoef: state.alpha } : {};
  return [{ notebook: 'load-balancing', label: 'load balancing on and off', params: { steps: state.steps, ...alpha } }];
}

export function specialiseLinks(state: SpecialiseState): PlaygroundLink[] {
  return [
    {
      notebook: 'experts-by-part-of-speech',
      label: 'count word classes per expert',
      params: { checkpoint: state.checkpoint },
    },
  ];
}

/**
 * The link's address, `../../playground/<slug>/?name=value…`: widgets live on lesson pages (`lessons/<id>/`),
 * so the playground is two levels up under any base path. Relative, as the lessons' own links are, so a widget's
 * chunk does not pull the site's base-path module out of every page's first-load script.
 */
export function playgroundHref(link: PlaygroundLink): string {
  return `../../playground/${link.notebook}/${notebookQuery(link.params)}`;
}
