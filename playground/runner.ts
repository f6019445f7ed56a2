// Runs cells one after another in one shared scope (the guest worker owns one runner for its lifetime).
// The scope's prototype holds what the playground provides (display, Plot, params, lab, helpers), so a
// cell may shadow them without breaking the next run of the cell that defined them.
import { cellLineOf, compileCell } from './transform.ts';
import { DOWNLOAD_TAG, PLOT_TAG, show, showError, type OutputItem, type PlotSpecData, type Shown } from './values.ts';

export type Emit = (item: OutputItem) => void;
type LogLevel = Extract<OutputItem, { type: 'log' }>['level'];
const LEVELS: LogLevel[] = ['log', 'info', 'warn', 'error', 'debug'];

export class CellRunner {
  readonly scope: Record<string, unknown>;
  /** Where console lines and display() go: the running cell's output, or the last cell's once it ended. */
  private emit: Emit = () => undefined;

  constructor(provided: Record<string, unknown>) {
    const base: Record<string, unknown> = { ...provided, display: (value: unknown) => this.display(value) };
    this.scope = Object.create(Object.freeze(base)) as Record<string, unknown>;
  }

  /** Sends this console's lines to the running cell (call once, in the worker). */
  captureConsole(target: Console): void {
    for (const level of LEVELS) {
      target[level] = (...values: unknown[]) => this.emit({ type: 'log', level, values: values.map((v) => shown(v)) });
    }
  }

  display(value: unknown): void {
    this.emit({ type: 'display', value: shown(value) });
  }

  /** Runs one cell; resolves true when it finished without an error. Never rejects. */
  async run(source: string, id: number, emit: Emit): Promise<boolean> {
    this.emit = emit;
    const compiled = compileCell(source, id);
    if (!compiled.ok) {
      emit({
        type: 'error',
        value: { kind: 'error', name: 'SyntaxError', message: compiled.message, line: compiled.line },
      });
      return false;
    }
    for (const name of compiled.names) {
      // defineProperty, not assignment: a name the frozen prototype has (params, display) cannot be assigned.
      if (!Object.prototype.hasOwnProperty.call(this.scope, name)) {
        Object.defineProperty(this.scope, name, {
          value: undefined,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    }
    try {
      const cell = (0, eval)(compiled.code) as (scope: object) => Promise<unknown>;
      const value = await cell(this.scope);
      if (value !== undefined) emit({ type: 'value', value: shown(value) });
      return true;
    } catch (error) {
      const stack = error instanceof Error ? (error.stack ?? '') : '';
      emit({ type: 'error', value: showError(error, cellLineOf(stack, id)) });
      return false;
    }
  }
}

/** `show`, with the playground's own values (downloads, Plot charts) passed through as they are. */
export function shown(value: unknown): Shown {
  if (typeof value === 'object' && value !== null) {
    const tagged = value as Record<string, unknown>;
    if (tagged[DOWNLOAD_TAG] === true) {
      return { kind: 'download', name: tagged.name as string, bytes: tagged.bytes as Uint8Array };
    }
    if (tagged[PLOT_TAG] === true) return { kind: 'plotSpec', spec: tagged.spec as PlotSpecData };
  }
  return show(value);
}
