/**
 * The current theme's colours as concrete values. SVG presentation attributes (which Plot writes) cannot
 * resolve CSS variables, so charts read the resolved colours and redraw when the theme changes.
 */
export interface ThemeColors {
  fg: string;
  muted: string;
  accent: string;
  selected: string;
  border: string;
  bg: string;
}

export function readThemeColors(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string): string => style.getPropertyValue(name).trim();
  return {
    fg: read('--fg'),
    muted: read('--fg-muted'),
    accent: read('--accent'),
    selected: read('--selected'),
    border: read('--border'),
    bg: read('--bg'),
  };
}

/** Calls `onChange` whenever the site's theme toggles or the system theme flips; returns an unsubscribe. */
export function onThemeChange(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}
