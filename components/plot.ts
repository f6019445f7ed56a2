// The parts of Observable Plot the course uses. PlotFigure imports this module lazily; naming the marks here
// (instead of importing the whole namespace) lets the bundler drop the rest of Plot.
export {
  plot,
  barY,
  barX,
  ruleY,
  ruleX,
  lineY,
  dotY,
  text,
  cell,
  rectY,
  gridY,
  axisX,
  axisY,
} from '@observablehq/plot';
