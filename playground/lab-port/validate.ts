// Checks on what a notebook passes the page: untrusted values from another origin, answered with a sentence
// that names the call and the argument, so the reader can fix the cell. Pure.

/** What a value looks like in a message: `"abc"`, `42`, `an object`, `undefined`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) {
    return String(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function text(call: string, name: string, value: unknown, maxChars: number): string {
  if (typeof value !== 'string') throw new TypeError(`${call}: ${name} must be a string; got ${describe(value)}.`);
  if (value.length > maxChars) {
    throw new RangeError(
      `${call}: ${name} is ${value.length.toLocaleString('en-US')} characters long; at most ${maxChars.toLocaleString('en-US')} are accepted. Shorten it.`,
    );
  }
  return value;
}

export function wholeNumber(call: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${call}: ${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}; got ${describe(value)}.`,
    );
  }
  return value;
}

export function finiteNumber(call: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${call}: ${name} must be a number from ${min} to ${max}; got ${describe(value)}.`);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** An options object (or undefined → {}), with only the keys listed. */
export function options(call: string, name: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value))
    throw new TypeError(`${call}: ${name} must be an object like { ${keys[0]}: … }; got ${describe(value)}.`);
  const unknown = Object.keys(value).filter((key) => !keys.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `${call}: ${name} has no setting ${unknown.map((k) => `"${k}"`).join(', ')}; the settings are ${keys.join(', ')}.`,
    );
  }
  return value;
}

/** An optional field of an options object: undefined → fallback, else checked by `check`. */
export function optional<T>(value: unknown, fallback: T, check: (value: unknown) => T): T {
  return value === undefined ? fallback : check(value);
}
