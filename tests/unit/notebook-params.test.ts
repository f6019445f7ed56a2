// A link's query over a notebook's declared params: only declared keys, each read as its default's type,
// everything else left out with a sentence; and the query the lesson widgets write.
import { describe, expect, it } from 'vitest';
import { MAX_PARAM_TEXT, notebookQuery, readNotebookParams } from '../../playground/notebook-params.ts';

const DEFAULTS = { checkpoint: 'e8-top2', k: 2, temperature: 0.8, greedy: false, text: 'The jury said' };

describe('readNotebookParams', () => {
  it('overrides declared keys, coerced to the default’s type', () => {
    const { params, notices } = readNotebookParams(DEFAULTS, '?k=1&temperature=0.25&greedy=true&text=Hello%20there');
    expect(params).toEqual({ checkpoint: 'e8-top2', k: 1, temperature: 0.25, greedy: true, text: 'Hello there' });
    expect(notices).toEqual([]);
    expect(Object.isFrozen(params)).toBe(true);
  });

  it('keeps the defaults and says why for values it cannot use', () => {
    const { params, notices } = readNotebookParams(
      DEFAULTS,
      new URLSearchParams({ k: 'two', greedy: 'maybe', text: 'x'.repeat(MAX_PARAM_TEXT + 1), secret: '1' }),
    );
    expect(params).toEqual(DEFAULTS);
    expect(notices).toEqual([
      'k must be a number; the link had "two", so it is 2.',
      'greedy must be true or false; the link had "maybe", so it is false.',
      `text in the link is 1,001 characters long; links carry at most 1,000, so the notebook's own text is used.`,
      'The link set "secret", which this notebook has no parameter for; it is left out. Its parameters are checkpoint, k, temperature, greedy, text.',
    ]);
  });

  it('reads an empty number, Infinity and a repeated key as mistakes', () => {
    const { params, notices } = readNotebookParams(
      DEFAULTS,
      'k=&temperature=Infinity&checkpoint=dense&checkpoint=e16-top2',
    );
    expect(params).toMatchObject({ k: 2, temperature: 0.8, checkpoint: 'dense' });
    expect(notices).toHaveLength(3);
    expect(notices[2]).toBe('The link set "checkpoint" more than once; the first value is used.');
  });

  it('does not let a link set keys through the prototype', () => {
    const { params, notices } = readNotebookParams(DEFAULTS, '?__proto__=1&toString=2&constructor=3');
    expect(Object.keys(params)).toEqual(Object.keys(DEFAULTS));
    expect(notices).toHaveLength(3);
  });
});

describe('notebookQuery', () => {
  it('writes what readNotebookParams reads back, the same values and types', () => {
    const state = { checkpoint: 'e16-top2', k: 1, temperature: 1.5, greedy: true, text: 'Ünïcode & spaces = fine?' };
    const query = notebookQuery(state);
    expect(readNotebookParams(DEFAULTS, query)).toEqual({ params: state, notices: [] });
  });

  it('leaves out values equal to the defaults when given them', () => {
    expect(notebookQuery({ checkpoint: 'e8-top2', k: 1 }, DEFAULTS)).toBe('?k=1');
    expect(notebookQuery({ checkpoint: 'e8-top2' }, DEFAULTS)).toBe('');
  });
});
