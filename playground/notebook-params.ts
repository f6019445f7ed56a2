// The values an "Open in playground" link sets in a notebook: `/playground/<slug>/?checkpoint=e8-top2&k=1`.
// A notebook declares its parameters with defaults in its frontmatter; a link overrides those keys only,
// each coerced to its default's type. Anything else in the link is left out with a sentence, never thrown:
// the notebook still opens, with its defaults. Pure; also writes the links the lesson widgets offer.

/** A parameter's value: the type of its default decides how a link's text is read. */
export type ParamValue = string | number | boolean;
export type NotebookParams = Readonly<Record<string, ParamValue>>;

/** Longest text a link may set: the lesson widgets' links carry at most this much (components/router-state.ts). */
export const MAX_PARAM_TEXT = 1000;

export interface ReadParams {
  /** The defaults with the link's valid values over them, frozen (as cells see them). */
  params: NotebookParams;
  /** One sentence per value the link had that was left out. */
  notices: string[];
}

const shown = (raw: string): string => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

/** `raw` read as the type of `fallback`, or a sentence saying why it cannot be. */
function coerce(
  name: string,
  raw: string,
  fallback: ParamValue,
): { ok: true; value: ParamValue } | { ok: false; problem: string } {
  if (typeof fallback === 'number') {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) {
      return { ok: false, problem: `${name} must be a number; the link had ${shown(raw)}, so it is ${fallback}.` };
    }
    return { ok: true, value };
  }
  if (typeof fallback === 'boolean') {
    if (raw === 'true' || raw === '1') return { ok: true, value: true };
    if (raw === 'false' || raw === '0') return { ok: true, value: false };
    return { ok: false, problem: `${name} must be true or false; the link had ${shown(raw)}, so it is ${fallback}.` };
  }
  if (raw.length > MAX_PARAM_TEXT) {
    return {
      ok: false,
      problem: `${name} in the link is ${raw.length.toLocaleString('en-US')} characters long; links carry at most ${MAX_PARAM_TEXT.toLocaleString('en-US')}, so the notebook's own text is used.`,
    };
  }
  return { ok: true, value: raw };
}

/**
 * The notebook's parameters for a link's query: `defaults` (its frontmatter `params`) with the query's
 * values for those keys over them.
 * @example
 * readNotebookParams({ checkpoint: 'e8-top2', k: 2 }, '?k=1&x=3');
 * // { params: { checkpoint: 'e8-top2', k: 1 }, notices: ['The link set "x", which this notebook has no parameter for; it is left out.'] }
 */
export function readNotebookParams(defaults: NotebookParams, query: string | URLSearchParams): ReadParams {
  const search = typeof query === 'string' ? new URLSearchParams(query) : query;
  const params: Record<string, ParamValue> = { ...defaults };
  const notices: string[] = [];
  const seen = new Set<string>();
  for (const [name, raw] of search) {
    if (seen.has(name)) {
      notices.push(`The link set ${shown(name)} more than once; the first value is used.`);
      continue;
    }
    seen.add(name);
    if (!Object.hasOwn(defaults, name)) {
      const known = Object.keys(defaults);
      notices.push(
        `The link set ${shown(name)}, which this notebook has no parameter for; it is left out.` +
          (known.length > 0 ? ` Its parameters are ${known.join(', ')}.` : ''),
      );
      continue;
    }
    const read = coerce(name, raw, defaults[name]!);
    if (read.ok) params[name] = read.value;
    else notices.push(read.problem);
  }
  return { params: Object.freeze(params), notices };
}

/**
 * The query a link carries for `params`: only values that differ from the notebook's defaults (when given),
 * so a link says what the reader changed.
 * @example
 * notebookQuery({ checkpoint: 'e8-top2', k: 1 }, { checkpoint: 'e8-top2', k: 2 }); // '?k=1'
 */
export function notebookQuery(params: Readonly<Record<string, ParamValue>>, defaults?: NotebookParams): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (defaults && Object.hasOwn(defaults, name) && defaults[name] === value) continue;
    search.set(name, typeof value === 'string' ? value.slice(0, MAX_PARAM_TEXT) : String(value));
  }
  const query = search.toString();
  return query === '' ? '' : `?${query}`;
}
