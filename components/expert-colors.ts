/**
 * One colour per expert, shared by every widget so "expert 3" looks the same across the course.
 * Tableau 10 extended with six more hues. Colour is never the only cue: every swatch sits next to the
 * expert's number, so readers who cannot tell two hues apart lose nothing.
 */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b07aa1',
  '#9c755f',
  '#d37295',
  '#76b7b2',
  '#edc948',
  '#8c8c8c',
  '#2f8f9d',
  '#c05a2b',
  '#6b6ecf',
  '#a0a323',
  '#bd5b8a',
  '#5d9c59',
] as const;

export function expertColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}
