// The number formats the training widget added to components/format.ts: a learning rate in powers of ten,
// an expert's share of the tokens as a percentage.
import { describe, expect, it } from 'vitest';
import { formatPercent, formatScientific } from '../../components/format.ts';

describe('formatScientific', () => {
  it('writes small numbers with a true minus in the exponent, three figures at most', () => {
    expect(formatScientific(3e-4)).toBe('3 × 10⁻⁴');
    expect(formatScientific(0.000125)).toBe('1.25 × 10⁻⁴');
    expect(formatScientific(8e30)).toBe('8 × 10³⁰');
  });
});

describe('formatPercent', () => {
  it('rounds a share to a whole percentage and has a dash for an empty whole', () => {
    expect(formatPercent(1, 3)).toBe('33%');
    expect(formatPercent(2, 3)).toBe('67%');
    expect(formatPercent(0, 0)).toBe('—');
  });
});
