// Lesson 2 works Mixtral's count out by hand in KaTeX, where the numbers are literal text. This checks them
// against the counting code, so the prose and the calculator cannot disagree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kvCacheBytes } from '../../models/accounting/memory.ts';
import { countParameters } from '../../models/accounting/params.ts';
import { presetById } from '../../models/accounting/presets/index.ts';

const lesson = readFileSync('lessons/moe-inside-the-transformer.mdx', 'utf8');
const mixtral = presetById('mixtral-8x7b').config;
const report = countParameters(mixtral);
const layers = 32;

/** 46702792704 as the lesson's KaTeX writes it: 46{,}702{,}792{,}704. */
const katex = (n: number): string => n.toLocaleString('en-US').replaceAll(',', '{,}');

describe('lesson 2’s worked Mixtral arithmetic', () => {
  it('one expert, one layer’s attention, and the router match the counter', () => {
    expect(lesson).toContain(`= ${katex(report.breakdown.total.routedExperts / (layers * 8))}`);
    expect(lesson).toContain(`= ${katex(report.breakdown.total.attention / layers)}`);
    expect(lesson).toContain(`($${katex(report.breakdown.total.router / layers)}$ weights)`);
    expect(lesson).toContain(`$${katex(report.breakdown.total.embeddings)}$ weights each`);
  });

  it('the per-layer sums and the totals match the counter', () => {
    expect(lesson).toContain(`32 \\cdot (${katex(report.breakdown.total.routedExperts / layers)} + `);
    expect(lesson).toContain(`32 \\cdot (${katex(report.breakdown.active.routedExperts / layers)} + `);
    expect(lesson).toContain(`&= ${katex(report.total)} \\approx 46.7\\text{B}`);
    expect(lesson).toContain(`&= ${katex(report.active)} \\approx 12.9\\text{B}`);
  });

  it('the KV cache per token matches models/accounting/memory.ts', () => {
    const kv = kvCacheBytes(mixtral, { context: 1, batch: 1 });
    expect(lesson).toContain(`= ${katex(kv.bytesPerToken)} \\text{ bytes per token}`);
  });
});
