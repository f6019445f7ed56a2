import { describe, expect, it } from 'vitest';
import { CALCULATOR_MODELS } from '../../components/calculator-models.ts';
import { formatBeside, formatBytes, formatCount, formatExact, formatPublished } from '../../components/format.ts';
import { MODEL_PRESETS } from '../../models/accounting/presets/index.ts';

describe('the calculator’s model list', () => {
  it('offers every preset, with its published figures', () => {
    const published = CALCULATOR_MODELS.filter((m) => m.kind === 'published');
    expect(published.map((m) => m.id)).toEqual(MODEL_PRESETS.map((p) => p.id));
    expect(published.find((m) => m.id === 'deepseek-v3')?.published?.total.value).toBe(671e9);
  });

  it('names our checkpoints after their directories, with unique ids', () => {
    const ours = CALCULATOR_MODELS.filter((m) => m.kind === 'ours');
    for (const m of ours) expect(m.name).toBe(`Ours: ${m.id.slice('ours-'.length)}`);
    expect(new Set(CALCULATOR_MODELS.map((m) => m.id)).size).toBe(CALCULATOR_MODELS.length);
  });
});

describe('number formats', () => {
  it('prints counts to three significant figures', () => {
    expect(formatCount(46_702_792_704)).toBe('46.7B');
    expect(formatCount(671_026_419_200)).toBe('671B');
    expect(formatCount(5_132_849_472)).toBe('5.13B');
    expect(formatCount(7_000_000_000)).toBe('7B');
    expect(formatCount(350_016)).toBe('350K');
    expect(formatCount(640)).toBe('640');
  });

  it('prints a published figure as published, and ours beside it at least as precisely', () => {
    expect(formatPublished(116.8e9)).toBe('116.8B');
    expect(formatPublished(37e9)).toBe('37B');
    expect(formatBeside(116_829_156_672, 116.8e9)).toBe('116.8B');
    expect(formatBeside(36_625_618_432, 37e9)).toBe('36.6B');
    expect(formatBeside(46_702_792_704, 46.7e9)).toBe('46.7B');
  });

  it('prints bytes in decimal units', () => {
    expect(formatBytes(93_405_585_408)).toBe('93.4 GB');
    expect(formatBytes(131_072)).toBe('131 kB');
    expect(formatBytes(4_294_967_296)).toBe('4.29 GB');
    // The checkpoint table once divided by 2²⁰ and printed "MB": 1,082,000 bytes is 1.08 MB, not 1.03.
    expect(formatBytes(1_082_000)).toBe('1.08 MB');
  });

  it('never prints more significant digits than a double holds', () => {
    expect(formatExact(46_702_792_704)).toBe('46,702,792,704');
    expect(formatExact(Number.MAX_SAFE_INTEGER)).toBe('9,007,199,254,740,991');
    // 8e40 as digits would be "79,999,999,999,999,950,000,…": zeros and nines nobody computed.
    expect(formatExact(8e40)).toBe('about 8 × 10⁴⁰');
    expect(formatCount(8e40)).toBe('8 × 10⁴⁰');
    expect(formatCount(1.23e12)).toBe('1.23T');
    expect(formatBytes(2.5e16)).toBe('2.5 × 10¹⁶ B');
  });
});
