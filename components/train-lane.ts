// One training run as the training widget shows it: its losses so far, its validation points, the engine's
// latest progress message and, once it stops, its checkpoint zip. Pure functions; the widget holds the state.
import type { TrainProgressMessage } from '../models/engine/protocol.ts';
import { formatSigned } from './format.ts';
import type { SavedRun } from './train-store.ts';

export type RunKind = 'moe' | 'dense';

export interface Lane {
  id: RunKind;
  /** One training loss per step done. */
  losses: number[];
  /** [step, validation loss] at each evaluation. */
  val: [number, number][];
  last: TrainProgressMessage | null;
  zip: Uint8Array | null;
  stepsDone: number;
}

export const emptyLane = (id: RunKind): Lane => ({ id, losses: [], val: [], last: null, zip: null, stepsDone: 0 });

/** The lanes of a run kept in IndexedDB (no progress message: the numbers it carried were not kept). */
export const savedLanes = (run: SavedRun): Lane[] => run.runs.map((r) => ({ ...r, id: r.id as RunKind, last: null }));

/** The lanes after one progress message: the run it names gets its new losses and validation point. */
export function withProgress(lanes: Lane[], p: TrainProgressMessage): Lane[] {
  return lanes.map((lane) => {
    if (lane.id !== p.run) return lane;
    const val: [number, number][] = p.valLoss === null ? lane.val : [...lane.val, [p.step, p.valLoss]];
    return { ...lane, losses: [...lane.losses, ...p.losses], val, last: p, stepsDone: p.step };
  });
}

/** A loss or entropy with `digits` decimals, or "—" before there is one. */
export const decimals = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : formatSigned(x, digits);
