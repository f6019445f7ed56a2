// Each lesson widget's "Open in the playground" links: the widget's state → the notebook's URL, read back by
// the notebook's own declared params (notebooks/<slug>.md frontmatter) with nothing lost or refused.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaults } from '../../components/url-state.ts';
import { gateSchema } from '../../components/gate-state.ts';
import { paramCalculatorSchema } from '../../components/param-calculator-state.ts';
import { routerSchema } from '../../components/router-state.ts';
import { sparseBenchSchema } from '../../components/sparse-bench-state.ts';
import { trainSchema } from '../../components/train-state.ts';
import { raceSchema } from '../../components/race-state.ts';
import { balanceSchema } from '../../components/balance-state.ts';
import { specialiseSchema } from '../../components/specialise-state.ts';
import {
  balanceLinks,
  benchLinks,
  calculatorLinks,
  gateLinks,
  playgroundHref,
  raceLinks,
  routerLinks,
  specialiseLinks,
  trainLinks,
  type PlaygroundLink,
} from '../../components/playground-links.ts';
import { readNotebookParams, type NotebookParams } from '../../playground/notebook-params.ts';
import { fromMarkdown } from '../../playground/notebook.ts';

function declaredParams(slug: string): NotebookParams {
  const file = `notebooks/${slug}.md`;
  expect(existsSync(file), `${file} exists`).toBe(true);
  const parsed = fromMarkdown(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.notebook.params;
}

/** What the notebook page reads from the link: the slug from the path, the params from the query. */
function open(link: PlaygroundLink): { slug: string; params: NotebookParams; notices: string[] } {
  // From a lesson page under a base path, where every widget sits.
  const url = new URL(playgroundHref(link), 'https://example.org/moe-lab/lessons/moe-equation/');
  const slug = /^\/moe-lab\/playground\/([^/]+)\/$/.exec(url.pathname)![1]!;
  return { slug, ...readNotebookParams(declaredParams(slug), url.search) };
}

function roundTrips(links: PlaygroundLink[]): void {
  for (const link of links) {
    const opened = open(link);
    expect(opened.slug).toBe(link.notebook);
    expect(opened.notices).toEqual([]);
    for (const [name, value] of Object.entries(link.params)) expect(opened.params[name], name).toEqual(value);
  }
}

describe('Open in the playground', () => {
  it('the gate widget sends N, K and x', () => {
    const state = { ...defaults(gateSchema), n: 5, k: 3, x: [1, -2.5, 0, 0.25] };
    const [link] = gateLinks(state);
    expect(open(link!).params).toMatchObject({ n: 5, k: 3, x: '1,-2.5,0,0.25' });
    roundTrips(gateLinks(state));
  });

  it('the calculator sends its model, edits, context and batch', () => {
    const state = { model: 'deepseek-v3', edits: { num_experts_per_tok: 4 }, context: 4096, batch: 8 };
    expect(open(calculatorLinks(state)[0]!).params).toMatchObject({
      model: 'deepseek-v3',
      edits: 'num_experts_per_tok:4',
      context: 4096,
      batch: 8,
    });
    roundTrips(calculatorLinks(defaults(paramCalculatorSchema)));
  });

  it('the router widget sends checkpoint, K and text to routing, and the temperature to generation', () => {
    const state = { ...defaults(routerSchema), checkpoint: 'e16-top2', k: 1, temperature: 120, text: 'Hi & bye?' };
    const [route, generate] = routerLinks(state).map(open);
    expect(route).toMatchObject({
      slug: 'route-a-sentence',
      params: { checkpoint: 'e16-top2', k: 1, text: 'Hi & bye?' },
    });
    expect(generate).toMatchObject({ slug: 'generate-with-k', params: { checkpoint: 'e16-top2', temperature: 1.2 } });
    roundTrips(routerLinks(state));
  });

  it('the benchmark and the training widget send their settings', () => {
    expect(open(benchLinks({ ...defaults(sparseBenchSchema), reps: 9 })[0]!).params).toMatchObject({ reps: 9 });
    const train = { ...defaults(trainSchema), mode: 'dense' as const, steps: 40, seed: 7 };
    expect(open(trainLinks(train)[0]!).params).toMatchObject({ mode: 'dense', steps: 40, seed: 7 });
    roundTrips(trainLinks(train));
    roundTrips(benchLinks(defaults(sparseBenchSchema)));
  });

  it('the race, balance and specialisation widgets send theirs', () => {
    const race = { ...defaults(raceSchema), steps: 300, seed: 4 };
    expect(open(raceLinks(race)[0]!)).toMatchObject({
      slug: 'train-tiny-moe',
      params: { mode: 'race', steps: 300, seed: 4 },
    });
    roundTrips(raceLinks(race));
    const balance = { ...defaults(balanceSchema), alpha: 0.05, steps: 50 };
    expect(open(balanceLinks(balance)[0]!).params).toMatchObject({ auxLossCoef: 0.05, steps: 50 });
    // Without the loss, the notebook's own "none" lane shows it; its aux-loss lane keeps the default α.
    expect(balanceLinks({ ...balance, alpha: 0 })[0]!.params).toEqual({ steps: 50 });
    roundTrips(balanceLinks(balance));
    const spec = { ...defaults(specialiseSchema), checkpoint: 'e16-top2' };
    expect(open(specialiseLinks(spec)[0]!)).toMatchObject({
      slug: 'experts-by-part-of-speech',
      params: { checkpoint: 'e16-top2' },
    });
    roundTrips(specialiseLinks(spec));
  });
});
