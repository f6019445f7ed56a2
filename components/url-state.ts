/**
 * Widget state that lives in the page URL, so any view can be shared as a link (as TensorFlow Playground's
 * state.ts does). Each widget declares one schema; reading a URL never throws: a bad value is replaced by
 * the field's default and reported as a sentence the widget shows to the reader.
 */

export interface Field<T> {
  readonly default: T;
  /** The value, or a sentence saying why `raw` is not acceptable. */
  parse(raw: string): { ok: true; value: T } | { ok: false; problem: string };
  format(value: T): string;
}

export type Fields<S> = { readonly [K in keyof S]: Field<S[K]> };

export interface Schema<S> {
  /** Parameters are written as `prefix.field`, so several widgets can share one page URL. */
  readonly prefix: string;
  readonly fields: Fields<S>;
  /** Rules that tie fields together (K ≤ N); returns the state made consistent and what was changed. */
  readonly reconcile?: (state: S) => { state: S; problems: string[] };
}

export interface ReadResult<S> {
  state: S;
  problems: string[];
}

/** A whole-number field whose bounds the widget's input also checks, so a link it writes is one it reads. */
export interface IntegerField extends Field<number> {
  readonly min: number;
  readonly max: number;
  /** Why a typed value is not acceptable, as a sentence, or null when it is. */
  check(value: number): string | null;
}

export function integer(opts: { label: string; min: number; max: number; default: number }): IntegerField {
  const bounds = `${opts.label} must be a whole number from ${opts.min.toLocaleString('en-US')} to ${opts.max.toLocaleString('en-US')}`;
  const fits = (value: number): boolean => Number.isInteger(value) && value >= opts.min && value <= opts.max;
  return {
    default: opts.default,
    min: opts.min,
    max: opts.max,
    check: (value) => (fits(value) ? null : `${bounds}; got ${value.toLocaleString('en-US')}.`),
    parse(raw) {
      const value = Number(raw);
      if (raw.trim() === '' || !fits(value)) {
        return { ok: false, problem: `${bounds}; the link had "${truncate(raw)}".` };
      }
      return { ok: true, value };
    },
    format: (value) => String(value),
  };
}

/** An echoed value cut to a readable length: a link can carry kilobytes the notice should not repeat. */
export function truncate(raw: string, max = 40): string {
  return raw.length > max ? `${raw.slice(0, max)}…` : raw;
}

export function numberList(opts: {
  label: string;
  length: number;
  min: number;
  max: number;
  default: readonly number[];
}): Field<number[]> {
  return {
    default: [...opts.default],
    parse(raw) {
      const parts = raw.split(',');
      const values = parts.map((p) => Number(p));
      const fits = (v: number): boolean => Number.isFinite(v) && v >= opts.min && v <= opts.max;
      if (parts.length !== opts.length || parts.some((p) => p.trim() === '') || !values.every(fits)) {
        return {
          ok: false,
          problem: `${opts.label} must be ${opts.length} comma-separated numbers from ${opts.min} to ${opts.max}; the link had "${truncate(raw)}".`,
        };
      }
      return { ok: true, value: values };
    },
    // Three decimals is finer than any slider step, and keeps links short.
    format: (values) => values.map((v) => String(Math.round(v * 1000) / 1000)).join(','),
  };
}

function keysOf<S>(fields: Fields<S>): (keyof S & string)[] {
  return Object.keys(fields) as (keyof S & string)[];
}

export function defaults<S>(schema: Schema<S>): S {
  const state = {} as S;
  for (const key of keysOf(schema.fields)) state[key] = schema.fields[key].default;
  return state;
}

export function readState<S>(schema: Schema<S>, params: URLSearchParams): ReadResult<S> {
  const state = defaults(schema);
  const problems: string[] = [];
  for (const key of keysOf(schema.fields)) {
    const raw = params.get(`${schema.prefix}.${key}`);
    if (raw === null) continue;
    const parsed = schema.fields[key].parse(raw);
    if (parsed.ok) state[key] = parsed.value;
    else problems.push(parsed.problem);
  }
  if (!schema.reconcile) return { state, problems };
  const reconciled = schema.reconcile(state);
  return { state: reconciled.state, problems: [...problems, ...reconciled.problems] };
}

/** Returns a copy of `params` with this schema's fields set; other widgets' parameters are kept. */
export function writeState<S>(schema: Schema<S>, state: S, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of keysOf(schema.fields)) next.set(`${schema.prefix}.${key}`, schema.fields[key].format(state[key]));
  return next;
}

/** This page's state for `schema`, from its current URL (browser only). */
export function readPageState<S>(schema: Schema<S>): ReadResult<S> {
  return readState(schema, new URLSearchParams(location.search));
}

/** Writes `state` into this page's URL in place (no new history entry), keeping other parameters. */
export function writePageState<S>(schema: Schema<S>, state: S): void {
  const params = writeState(schema, state, new URLSearchParams(location.search));
  history.replaceState(history.state, '', `${location.pathname}?${params}${location.hash}`);
}
