/**
 * How the site prints numbers: one function per kind of number, used by every widget, the lessons, the
 * README's generated tables and the library's own sentences, so the same quantity reads the same everywhere.
 * Pure and DOM-free; components/format.ts re-exports it for the widgets.
 *
 * Bytes are in decimal (SI) units everywhere: 1 kB = 10³ bytes, 1 MB = 10⁶, 1 GB = 10⁹, as accelerator
 * memory and downloads are sold. {@link BYTE_UNITS} is the sentence that says so, for labels.
 */

/** The byte convention, as a reader-facing note. */
export const BYTE_UNITS = 'sizes in decimal units: 1 kB = 1,000 bytes, 1 MB = 10⁶ bytes, 1 GB = 10⁹ bytes';

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** Three significant figures, trailing zeros dropped: 46.7, 671, 5.13, 7. */
function threeFigures(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** 8e30 → "8 × 10³⁰", 3e-4 → "3 × 10⁻⁴": numbers too large for a unit prefix, or small ones such as a learning rate, with three significant figures at most. */
export function formatScientific(value: number): string {
  const [mantissa, exponent] = value.toExponential(2).split('e');
  const power = String(Number(exponent))
    .replace(/\d/g, (d) => SUPERSCRIPT[Number(d)]!)
    .replace('-', '⁻');
  return `${Number(mantissa)} × 10${power}`;
}

/** A parameter (or FLOP) count as the lessons write it: 46.7B, 1.2T, 671B, 2.1M, 640. */
export function formatCount(count: number): string {
  if (count >= 1e15) return formatScientific(count);
  if (count >= 1e12) return `${threeFigures(count / 1e12)}T`;
  if (count >= 1e9) return `${threeFigures(count / 1e9)}B`;
  if (count >= 1e6) return `${threeFigures(count / 1e6)}M`;
  if (count >= 1e3) return `${threeFigures(count / 1e3)}K`;
  return String(count);
}

/** A published figure in billions, without the float noise of the division (116.8e9 / 1e9). */
function billions(count: number): string {
  return String(Number((count / 1e9).toPrecision(6)));
}

/** A published figure as its authors wrote it (116.8e9 → "116.8B", 37e9 → "37B"). */
export function formatPublished(count: number): string {
  return `${billions(count)}B`;
}

/**
 * Our count next to a published one: three significant figures, or as many decimals as the published figure
 * has where that is more, so 116,829,156,672 reads 116.8B beside "116.8B" and 36,625,618,432 reads 36.6B
 * beside "37B".
 */
export function formatBeside(count: number, published: number): string {
  const decimals = billions(published).split('.')[1]?.length ?? 0;
  const matched = (count / 1e9).toFixed(decimals);
  return matched.replace('.', '').replace(/^0+/, '').length > 3 ? `${matched}B` : formatCount(count);
}

/**
 * Every digit, grouped: 46,702,792,704. Past 2⁵³ a double no longer holds every digit of a whole number,
 * so those are printed with three significant figures instead of digits that were never computed.
 */
export function formatExact(count: number): string {
  if (!Number.isSafeInteger(count)) return `about ${formatScientific(count)}`;
  return count.toLocaleString('en-US');
}

/** Bytes in decimal units (see {@link BYTE_UNITS}): 93.4 GB, 131 kB, 512 B. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e15) return `${formatScientific(bytes)} B`;
  if (bytes >= 1e12) return `${threeFigures(bytes / 1e12)} TB`;
  if (bytes >= 1e9) return `${threeFigures(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${threeFigures(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${threeFigures(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** Milliseconds with the precision a timing deserves: 3.4, 12.5, 716. */
export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

/** The unit a chart of counts up to `largest` reads best in. */
export function countScale(largest: number): { divisor: number; unit: string } {
  if (largest >= 1e12) return { divisor: 1e12, unit: 'trillions' };
  if (largest >= 1e9) return { divisor: 1e9, unit: 'billions' };
  if (largest >= 1e6) return { divisor: 1e6, unit: 'millions' };
  if (largest >= 1e3) return { divisor: 1e3, unit: 'thousands' };
  return { divisor: 1, unit: 'parameters' };
}

/** A token's text made visible: a leading space as a dot, newlines as ↵, an empty token as ∅. */
export function formatToken(text: string): string {
  return text.replace(/^ /, '·').replace(/\n/g, '↵') || '∅';
}

/** A signed number with a true minus sign and no "−0.00": −0.25, 0.00, 1.50. */
export function formatSigned(value: number, digits = 2): string {
  return (Object.is(Math.round(value * 10 ** digits), -0) ? 0 : value).toFixed(digits).replace('-', '−');
}

/** A share as a whole percentage: 12%, or "—" when there is no whole to share. */
export function formatPercent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '—';
}
