// Display equations wider than a phone scroll sideways; a scrollable region must be reachable by keyboard
// (WCAG 2.1.1), so each display equation becomes focusable. KaTeX's MathML copy keeps it readable aloud.
import { visit } from 'unist-util-visit';

export function rehypeScrollableMath() {
  return (tree) => {
    visit(tree, 'element', (node) => {
      const classes = node.properties?.className;
      if (Array.isArray(classes) && classes.includes('katex-display')) node.properties.tabIndex = 0;
    });
  };
}
