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

export interface Theme {
  fg: string;
  bg: string;
}

/**
 * The chart as a standalone SVG document (XML, with its namespace), which the page shows as an image: an
 * SVG image runs no script and loads nothing. A figure with an HTML legend goes inside a foreignObject.
 */
function render(spec: PlotSpecData, theme: Theme): { svg: string; width: number; height: number } {
  const marks = spec.marks.map(({ mark, data, options }) => {
    const make = MARKS[mark as PlotMark] as MarkFunction | undefined;
    if (!make) throw new Error(`there is no mark "${mark}"`);
    return make(data ?? undefined, options);
  });
  const figure = plot({ ...spec.options, marks } as Parameters<typeof plot>[0]) as HTMLElement | SVGSVGElement;
  const colors = `color: ${theme.fg}; --plot-background: ${theme.bg}; font-family: system-ui, sans-serif`;
  const serialize = (node: Node): string => new XMLSerializer().serializeToString(node);
  if (figure instanceof SVGSVGElement) {
    figure.setAttribute('style', colors);
    const width = Number(figure.getAttribute('width')) || 640;
    const height = Number(figure.getAttribute('height')) || 400;
    return { svg: serialize(figure), width, height };
  }
  // Measured in this frame's layout; the legend's height is estimated if the frame is not laid out.
  document.body.append(figure);
  const box = figure.getBoundingClientRect();
  const svgs = [...figure.querySelectorAll('svg')];
  const width = Math.ceil(box.width) || Math.max(...svgs.map((s) => Number(s.getAttribute('width')) || 0), 640);
  const height =
    Math.ceil(box.height) ||
    svgs.reduce((sum, s) => sum + (Number(s.getAttribute('height')) || 0), 0) +
      40 * figure.querySelectorAll(':scope > div').length;
  figure.remove();
  figure.setAttribute('style', `${colors}; margin: 0`);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<foreignObject width="${width}" height="${height}">${serialize(figure)}</foreignObject></svg>`;
  return { svg, width, height };
}

(globalThis as { moeRenderPlot?: typeof render }).moeRenderPlot = render;
