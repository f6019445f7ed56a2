// The declarations of what the playground itself puts in a cell's scope (the lab's are the lab port's
// API_SOURCE). The editor shows their TSDoc on completion and hover; the guest worker implements them
// (display: playground/runner.ts, download: playground/sandbox/guest-worker.ts, Plot: playground/plot-spec.ts).
import { PLOT_MARKS } from './plot-spec.ts';

const MARK_DOCS: Record<(typeof PLOT_MARKS)[number], string> = {
  areaY: 'An area from y = 0 (or y1) to y, along x.',
  axisX: 'An x axis, for its options (label, ticks).',
  axisY: 'A y axis, for its options (label, ticks).',
  barX: 'Horizontal bars of length x, one per row.',
  barY: 'Vertical bars of height y, one per row.',
  cell: 'A rectangle per (x, y) band pair, filled by a value: a heatmap.',
  dot: 'A dot per row at (x, y); r sets its radius.',
  frame: 'A frame around the plot area.',
  gridX: 'Vertical grid lines.',
  gridY: 'Horizontal grid lines.',
  line: 'A line through the rows in order, at (x, y).',
  lineY: 'A line through y along x (x defaults to the row index).',
  rectY: 'Rectangles from y1 to y2 (or 0 to y) over an x interval.',
  ruleX: 'A vertical rule at each x.',
  ruleY: 'A horizontal rule at each y (ruleY([0]) draws the baseline).',
  text: 'A text label per row at (x, y); text sets the label.',
  tickX: 'A short vertical tick per row at x.',
};

export const PLAYGROUND_API_SOURCE = `
/** Shows a value below the cell: numbers, text, objects (expandable), arrays of rows (a table), tensors, Plot charts, downloads. */
declare function display(value: unknown): void;
/** A file the reader can save: display(download('model.zip', bytes)). The page offers the bytes; nothing is run. */
declare function download(name: string, bytes: Uint8Array | ArrayBuffer | string): Download;
/** The notebook's parameters (frozen): its defaults, or the values an "Open in playground" link set. */
declare const params: Readonly<Record<string, string | number | boolean>>;
/** Observable Plot, drawn inside the sandbox: Plot.plot({ marks: [Plot.lineY(rows, { x: 'step', y: 'loss' })] }). Channels may be field names, arrays or functions of a row. */
declare const Plot: PlotApi;
interface Download {
  name: string;
}
interface PlotApi {
  /** Draws a chart from its marks and options (width, height, x, y, color, marginLeft, …). */
  plot(options: { marks: PlotMark[]; [option: string]: unknown }): PlotChart;
${PLOT_MARKS.map((m) => `  /** ${MARK_DOCS[m]} */\n  ${m}(data?: unknown[], options?: Record<string, unknown>): PlotMark;`).join('\n')}
}
`;
