// How lesson 4's benchmark names and marks its three implementations, in one place for the widget, its
// charts and its table. Colour is never the only cue: each series also has its own marker, and dense its
// own dash.
import type { Implementation } from '../models/accounting/bench.ts';

export const NAMES: Readonly<Record<Implementation, string>> = {
  sparse: 'sparse',
  masked: 'dense-masked',
  dense: 'dense FFN',
};

export const DESCRIPTIONS: Readonly<Record<Implementation, string>> = {
  sparse: 'each token runs through its K chosen experts only',
  masked: 'every token runs through all N experts; the unchosen outputs are zeroed',
  dense: 'one plain feed-forward block as wide as K experts: the same active parameters',
};

/** Observable Plot symbols for the charts, and the same shapes as characters for the legend. */
export const SYMBOLS: Readonly<Record<Implementation, string>> = {
  sparse: 'circle',
  masked: 'square',
  dense: 'triangle',
};
export const MARKS: Readonly<Record<Implementation, string>> = { sparse: '●', masked: '■', dense: '▲' };

/** Column headings, short so the table fits the column of text; the caption spells them out. */
export const SHORT: Readonly<Record<Implementation, string>> = { sparse: 'sparse', masked: 'masked', dense: 'dense' };
