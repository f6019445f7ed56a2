// `Plot` as a cell sees it, in the guest worker: the same calls as Observable Plot's (`Plot.plot({marks:
// [Plot.lineY(rows, {x: 'step', y: 'loss'})]})`), but they only record the chart as data. A worker has no
// DOM, so the sandbox frame draws it (playground/sandbox/plot-render.ts). Channel functions
// (`y: (d) => d.loss * 2`) are applied here, row by row, because functions cannot cross a postMessage.
import { PLOT_TAG, type PlotSpecData } from './values.ts';

/** The marks a cell can use; the frame's renderer imports exactly these. */
export const PLOT_MARKS = [
  'areaY',
  'axisX',
  'axisY',
  'barX',
  'barY',
  'cell',
  'dot',
  'frame',
  'gridX',
  'gridY',
  'line',
  'lineY',
  'rectY',
  'ruleX',
  'ruleY',
  'text',
  'tickX',
] as const;
export type PlotMark = (typeof PLOT_MARKS)[number];

interface MarkRecord {
  [PLOT_TAG]: 'mark';
  mark: PlotMark;
  data: unknown[] | null;
  options: Record<string, unknown>;
}

export function plotApi(): Record<string, unknown> {
  const api: Record<string, unknown> = {
    plot(options: Record<string, unknown> = {}) {
      const { marks = [], ...rest } = options;
      const list = (Array.isArray(marks) ? marks : [marks]).flat(Infinity).filter((m) => m != null);
      for (const m of list) {
        if ((m as MarkRecord)[PLOT_TAG] !== 'mark') {
          throw new TypeError(`Plot.plot's marks must be made with Plot's mark functions (${PLOT_MARKS.join(', ')}).`);
        }
      }
      const spec: PlotSpecData = {
        options: plainOptions(rest),
        marks: (list as MarkRecord[]).map(({ mark, data, options: o }) => ({ mark, data, options: o })),
      };
      return { [PLOT_TAG]: true, spec };
    },
  };
  for (const mark of PLOT_MARKS)
    api[mark] = (data?: unknown, options?: Record<string, unknown>) => markRecord(mark, data, options);
  // A mark or transform this playground does not carry says so, instead of "is not a function".
  return new Proxy(api, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target)) {
        throw new TypeError(
          `Plot.${key} is not available in the playground; it has Plot.plot and ${PLOT_MARKS.join(', ')}.`,
        );
      }
      return target[key as string];
    },
  });
}

function markRecord(mark: PlotMark, data: unknown, options: Record<string, unknown> = {}): MarkRecord {
  // Marks without data (frame, grids, axes) may be called with options only.
  if (data !== undefined && data !== null && !isArrayLike(data)) {
    if (typeof data === 'object' && Object.keys(options).length === 0)
      return markRecord(mark, null, data as Record<string, unknown>);
    throw new TypeError(`Plot.${mark}'s data must be an array (or a typed array).`);
  }
  const rows = data == null ? null : Array.from(data as ArrayLike<unknown>);
  const applied: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    applied[key] =
      typeof value === 'function' && rows
        ? rows.map((d, i) => (value as (d: unknown, i: number) => unknown)(d, i))
        : value;
  }
  return { [PLOT_TAG]: 'mark', mark, data: rows, options: plainOptions(applied) };
}

/** Options must cross a postMessage: a function left in them (a scale's tickFormat, say) is refused clearly. */
function plainOptions(options: Record<string, unknown>): Record<string, unknown> {
  JSON.stringify(options, (key, value: unknown) => {
    if (typeof value === 'function') {
      throw new TypeError(
        `The Plot option "${key}" is a function; in the playground only channels (x, y, fill, …) may be.`,
      );
    }
    return value;
  });
  return options;
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}
