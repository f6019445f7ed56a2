// Distill's figure lifecycle, shared by the widgets that run a model: work starts when a figure nears the
// screen and may pause when it leaves, so a page with several figures only computes what the reader sees.

/** Calls `onChange(true)` when `element` comes within `margin` of the viewport, `false` when it leaves. */
export function watchVisibility(element: Element, onChange: (visible: boolean) => void, margin = '200px'): () => void {
  const observer = new IntersectionObserver(([entry]) => onChange(entry?.isIntersecting ?? false), {
    rootMargin: margin,
  });
  observer.observe(element);
  return () => observer.disconnect();
}

/** The sentence to show for a failed request: engine errors are already written for the reader. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
