// A small typed flag parser shared by the CLI commands: `--name value`, `--name=value` and `--flag`.
export type FlagSpec =
  | { type: 'string'; default?: string; help: string }
  | { type: 'number'; default?: number; help: string; min?: number; max?: number; integer?: boolean }
  | { type: 'boolean'; help: string };

export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K] extends { type: 'boolean' }
    ? boolean
    : S[K] extends { type: 'number'; default: number }
      ? number
      : S[K] extends { type: 'number' }
        ? number | undefined
        : S[K] extends { type: 'string'; default: string }
          ? string
          : string | undefined;
};

export interface Parsed<S extends Record<string, FlagSpec>> {
  flags: FlagValues<S>;
  /** Arguments that are not flags, in order. */
  positional: string[];
}

/** Parses `args` against `spec`; throws a sentence naming the flag for anything unknown or malformed. */
export function parseFlags<S extends Record<string, FlagSpec>>(spec: S, args: readonly string[]): Parsed<S> {
  const values: Record<string, string | number | boolean | undefined> = {};
  for (const [name, flag] of Object.entries(spec)) values[name] = flag.type === 'boolean' ? false : flag.default;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const flag = spec[rawName];
    if (!flag)
      throw new Error(
        `Unknown flag --${rawName}. Known flags: ${Object.keys(spec)
          .map((n) => `--${n}`)
          .join(', ')}.`,
      );
    if (flag.type === 'boolean') {
      values[rawName] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const raw = inline ?? args[++i];
    if (raw === undefined) throw new Error(`--${rawName} needs a value.`);
    if (flag.type === 'string') {
      values[rawName] = raw;
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`--${rawName} must be a number; got "${raw}".`);
    if (flag.integer && !Number.isInteger(value)) throw new Error(`--${rawName} must be a whole number; got ${raw}.`);
    if (flag.min !== undefined && value < flag.min)
      throw new Error(`--${rawName} must be at least ${flag.min}; got ${raw}.`);
    if (flag.max !== undefined && value > flag.max)
      throw new Error(`--${rawName} must be at most ${flag.max}; got ${raw}.`);
    values[rawName] = value;
  }
  return { flags: values as FlagValues<S>, positional };
}

/** The flags section of a command's `--help`. */
export function describeFlags(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([name, flag]) => {
      const shown = flag.type === 'boolean' ? `--${name}` : `--${name} <${flag.type}>`;
      const fallback = 'default' in flag && flag.default !== undefined ? ` (default ${flag.default})` : '';
      return `  ${shown.padEnd(28)} ${flag.help}${fallback}`;
    })
    .join('\n');
}
