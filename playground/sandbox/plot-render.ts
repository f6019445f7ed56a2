// Draws a chart recorded by the guest worker's Plot (playground/plot-spec.ts) inside the sandbox frame,
// which has a DOM, and returns it as SVG text. Built as its own bundle: the page passes its text to the frame.
import {
  areaY,
  axisX,
  axisY,
  barX,
  barY,
  cell,
  dot,
  frame,
  gridX,
  gridY,
  line,
  lineY,
  plot,
  rectY,
  ruleX,
  ruleY,
  text,
  tickX,
} from '@observablehq/plot';
import type { PlotMark } from '../plot-spec.ts';
import type { PlotSpecData } from '../values.ts';

type MarkFunction = (data?: unknown, options?: Record<string, unknown>) => unknown;
const MARKS: Record<PlotMark, MarkFunction> = {
  areaY,
  axisX,
  axisY,
  barX,
  barY,
  cell,
  dot,
  frame: (_data, options) => frame(options),
  gridX,
  gridY,
  line,
  lineY,
  rectY,
  ruleX,
  ruleY,
  text,
  tickX,
} as Record<PlotMark, MarkFunction>;

function render(spec: PlotSpecData): { svg: string; width: number; height: number } {
  const marks = spec.marks.map(({ mark, data, options }) => {
    const make = MARKS[mark as PlotMark] as MarkFunction | undefined;
    if (!make) throw new Error(`there is no mark "${mark}"`);
    return make(data ?? undefined, options);
  });
  const figure = plot({ ...spec.options, marks } as Parameters<typeof plot>[0]) as Element;
  const svg = figure.tagName.toLowerCase() === 'svg' ? figure : figure.querySelector('svg');
  const width = Number(svg?.getAttribute('width')) || 640;
  const height = Number(svg?.getAttribute('height')) || 400;
  return { svg: figure.outerHTML, width, height };
}

(globalThis as { moeRenderPlot?: typeof render }).moeRenderPlot = render;
