// Display equations, prose tables and code blocks wider than a phone scroll sideways; a scrollable region
// must be reachable by keyboard (WCAG 2.1.1), so each becomes focusable. KaTeX's MathML copy keeps an
// equation readable aloud, and a table keeps its table semantics (no role is overridden).
import { visit } from 'unist-util-visit';

const SCROLLS_SIDEWAYS = new Set(['table', 'pre']);

export function rehypeScrollableMath() {
  return (tree) => {
    visit(tree, 'element', (node) => {
      const classes = node.properties?.className;
      const isDisplayMath = Array.isArray(classes) && classes.includes('katex-display');
      if (isDisplayMath || SCROLLS_SIDEWAYS.has(node.tagName)) node.properties.tabIndex = 0;
    });
  };
}
