// A cell may declare a name the playground provides (a helper such as `softmax`): its own definition wins
// in its scope, and the provided one stays untouched for every other run.
import { describe, expect, it } from 'vitest';
import { CellRunner } from '../../playground/runner.ts';
import type { OutputItem } from '../../playground/values.ts';

describe('CellRunner scope', () => {
  it('lets a cell shadow a provided name', async () => {
    const provided = { softmax: () => 'helper' };
    const runner = new CellRunner(provided);
    const items: OutputItem[] = [];
    expect(await runner.run("function softmax() { return 'mine'; }", 0, (i) => items.push(i))).toBe(true);
    expect(await runner.run('softmax()', 1, (i) => items.push(i))).toBe(true);
    expect(items).toEqual([{ type: 'value', value: { kind: 'string', value: 'mine', truncated: 0 } }]);
    expect(provided.softmax()).toBe('helper');
  });
});
