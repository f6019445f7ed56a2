// Messages between the page and the guest worker that runs a notebook's cells inside the sandbox frame.
// The frame only relays them (and draws Plot charts on the way out); the lab has its own port.
import type { ParamValue } from '../notebook.ts';
import type { OutputItem } from '../values.ts';

/** Page → frame, once: the guest worker's and the Plot renderer's code, and the notebook's params. */
export interface StartMessage {
  type: 'moe-start';
  worker: string;
  plot: string;
  params: Record<string, ParamValue>;
  /** The site's text and background colours, for charts (an SVG image cannot read the page's CSS). */
  theme: { fg: string; bg: string };
}

export type ToGuest =
  { type: 'init'; params: Record<string, ParamValue> } | { type: 'run'; cellId: number; source: string };

export type FromGuest =
  | { type: 'ready' }
  | { type: 'output'; cellId: number; item: OutputItem }
  | { type: 'done'; cellId: number; ok: boolean }
  /** From the frame: the worker failed outside any cell (out of memory, a script that did not load). */
  | { type: 'crash'; message: string };
