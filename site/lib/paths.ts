/**
 * Joins the site's base path and a site-relative path. BASE_URL has no trailing slash when `base` is
 * set without one, so string concatenation would produce "/moe-labfavicon.svg".
 */
export function withBase(path: string): string {
  const base = import.meta.env.BASE_URL.replace(/\/+$/, '');
  const rest = path.replace(/^\/+/, '');
  return `${base}/${rest}`;
}

export function lessonHref(id: string): string {
  return withBase(`lessons/${id}/`);
}
