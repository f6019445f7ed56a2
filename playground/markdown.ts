// A notebook's prose → HTML, the same at build time (example pages) and in the browser (the reader's own
// and shared notebooks). micromark is safe by default: raw HTML in the Markdown is shown as text and
// `javascript:` links are dropped; KaTeX (with `trust` off, its default) draws $…$ and $$…$$.
import { micromark } from 'micromark';
import { math, mathHtml } from 'micromark-extension-math';

export function renderMarkdown(source: string): string {
  return micromark(source, {
    extensions: [math()],
    htmlExtensions: [mathHtml({ throwOnError: false, output: 'htmlAndMathml' })],
  });
}
