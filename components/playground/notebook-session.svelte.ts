// The notebook page's state: its cells with their outputs, where the notebook came from and where it is
// saved, and the sandbox session that runs it. The Svelte components only draw this and call its methods.
import type { Cell, Notebook, ParamValue } from '../../playground/notebook.ts';
import { exampleForkId, newId, putNotebook, type Origin, type SavedNotebook } from '../../playground/store.ts';
import { sandboxCode } from '../../playground/sandbox/code.ts';
import { SandboxSession, Stopped } from '../../playground/sandbox/sandbox.ts';
import type { OutputItem } from '../../playground/values.ts';
import type { BackendChoice } from '../backends.ts';

export type CellStatus = 'idle' | 'queued' | 'running' | 'ok' | 'error' | 'stopped';

export interface CellState {
  /** Stable for the page's lifetime: keys the view, and names the cell's code in error stacks. */
  key: number;
  kind: Cell['kind'];
  source: string;
  outputs: OutputItem[];
  status: CellStatus;
  /** Milliseconds the last run took. */
  ms: number | null;
  /** Markdown cells: the rendered prose (from the build for an example, else rendered here). */
  html: string;
  editing: boolean;
}

/** Where the notebook on this page comes from, which decides what an edit does. */
export type Source =
  { kind: 'example'; slug: string } | { kind: 'shared' } | { kind: 'saved'; record: SavedNotebook } | { kind: 'new' };

export const DEFAULT_TIME_LIMIT_S = 120;
export const MAX_TIME_LIMIT_S = 3600;

let nextKey = 1;

export function cellStates(cells: Cell[], html: string[] = []): CellState[] {
  return cells.map((cell, i) => ({
    key: nextKey++,
    kind: cell.kind,
    source: cell.source,
    outputs: [],
    status: 'idle',
    ms: null,
    html: html[i] ?? '',
    editing: false,
  }));
}

export class NotebookSession {
  title = $state('');
  summary = $state('');
  lesson = $state('');
  params: Record<string, ParamValue> = $state({});
  cells: CellState[] = $state([]);
  source: Source = $state({ kind: 'new' });
  /** The saved copy, once there is one (an edit of an example or a shared link makes it). */
  record: SavedNotebook | null = $state(null);
  /** One sentence for the live region: what is running, what was saved, what went wrong. */
  status = $state('');
  saveProblem = $state('');
  running = $state(false);
  sessionAlive = $state(false);
  timeLimitS = $state(DEFAULT_TIME_LIMIT_S);
  /** The backend the lab's model runs on (used when the engine starts, or switches at the next run). */
  backend: BackendChoice = $state('auto');
  /** Called after an edit created the saved copy (the page puts its id in the URL). */
  onFirstSave: (record: SavedNotebook) => void = () => undefined;

  #session: SandboxSession | null = null;
  #starting: Promise<SandboxSession> | null = null;
  #host: HTMLElement | null = null;
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  #stopRequested = false;
  /** Opens the lab's guest session for a new sandbox; returns the port for the worker and its closer. */
  labConnector: (() => { port: MessagePort; close: () => void }) | null = null;

  load(notebook: Notebook, source: Source, html: string[] = []): void {
    this.stop();
    this.title = notebook.title;
    this.summary = notebook.summary;
    this.lesson = notebook.lesson;
    this.params = { ...notebook.params };
    this.cells = cellStates(notebook.cells, html);
    this.source = source;
    this.record = source.kind === 'saved' ? source.record : null;
  }

  notebook(): Notebook {
    return {
      title: this.title,
      summary: this.summary,
      lesson: this.lesson,
      params: $state.snapshot(this.params) as Record<string, ParamValue>,
      cells: this.cells.map((c) => ({ kind: c.kind, source: c.source })),
    };
  }

  setHost(host: HTMLElement): void {
    this.#host = host;
  }

  // ------------------------------------------------------------- editing and saving

  /** The reader changed the notebook: save it (the first edit of an example or a link makes the copy). */
  edited(): void {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = setTimeout(() => void this.save(), 400);
  }

  async save(announce = false): Promise<void> {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    const now = Date.now();
    const first = this.record === null;
    const record: SavedNotebook = this.record
      ? { ...this.record, notebook: this.notebook(), updated: now }
      : { id: this.newRecordId(), notebook: this.notebook(), origin: this.newOrigin(), created: now, updated: now };
    try {
      await putNotebook(record);
      this.record = record;
      this.saveProblem = '';
      if (first) this.onFirstSave(record);
      if (announce) this.status = 'Saved in this browser.';
    } catch (error) {
      this.saveProblem = `${error instanceof Error ? error.message : String(error)} Your edits stay on this page until you leave it: export the notebook to keep them.`;
    }
  }

  private newRecordId(): string {
    return this.source.kind === 'example' ? exampleForkId(this.source.slug) : newId();
  }

  private newOrigin(): Origin {
    if (this.source.kind === 'example') return { kind: 'example', slug: this.source.slug };
    if (this.source.kind === 'shared') return { kind: 'shared', original: this.originalNotebook! };
    return { kind: 'new' };
  }

  /** For a shared link: the notebook as it arrived, kept with the copy so it can be reset. */
  originalNotebook: Notebook | null = null;

  setSource(index: number, source: string): void {
    const cell = this.cells[index];
    if (!cell || cell.source === source) return;
    cell.source = source;
    this.edited();
  }

  addCell(kind: Cell['kind'], at = this.cells.length): void {
    const [cell] = cellStates([{ kind, source: '' }]);
    cell!.editing = kind === 'markdown';
    this.cells.splice(at, 0, cell!);
    this.edited();
  }

  removeCell(index: number): void {
    this.cells.splice(index, 1);
    this.edited();
  }

  moveCell(index: number, by: -1 | 1): void {
    const to = index + by;
    if (to < 0 || to >= this.cells.length) return;
    const [cell] = this.cells.splice(index, 1);
    this.cells.splice(to, 0, cell!);
    this.edited();
  }

  // ------------------------------------------------------------- running

  private async sandbox(): Promise<SandboxSession> {
    if (this.#session && !this.#session.isClosed) return this.#session;
    if (!this.#host) throw new Error('The notebook is not on the page yet.');
    const host = this.#host;
    this.#starting ??= (async () => {
      const code = await sandboxCode();
      const lab = this.labConnector?.() ?? null;
      const params = $state.snapshot(this.params) as Record<string, ParamValue>;
      try {
        const session = await SandboxSession.start(host, code, params, lab?.port);
        session.onEnd(() => {
          lab?.close();
          this.sessionAlive = false;
        });
        this.#session = session;
        this.sessionAlive = true;
        return session;
      } catch (error) {
        lab?.close();
        throw error;
      }
    })().finally(() => (this.#starting = null));
    return this.#starting;
  }

  /** Runs cells in order, stopping at the first that fails; resolves when all are done or one failed. */
  async runCells(indexes: number[]): Promise<void> {
    if (this.running) return;
    const cells = indexes.map((i) => this.cells[i]).filter((c): c is CellState => c?.kind === 'code');
    if (cells.length === 0) return;
    this.running = true;
    this.#stopRequested = false;
    for (const cell of cells) cell.status = 'queued';
    try {
      let session: SandboxSession;
      this.status = 'Starting the sandbox…';
      try {
        session = await this.sandbox();
      } catch (error) {
        this.status = `The sandbox could not start: ${error instanceof Error ? error.message : String(error)}`;
        for (const cell of cells) cell.status = 'idle';
        return;
      }
      for (const [n, cell] of cells.entries()) {
        if (this.#stopRequested) break;
        cell.status = 'running';
        cell.outputs = [];
        cell.ms = null;
        const label = `cell ${this.cells.indexOf(cell) + 1}`;
        this.status = cells.length > 1 ? `Running ${label} (${n + 1} of ${cells.length})…` : `Running ${label}…`;
        const started = performance.now();
        try {
          const ok = await session.run(
            cell.key,
            cell.source,
            (item) => cell.outputs.push(item),
            this.timeLimitS * 1000,
          );
          cell.ms = performance.now() - started;
          cell.status = ok ? 'ok' : 'error';
          if (!ok) {
            this.status = `${capitalise(label)} failed; the cells after it did not run.`;
            break;
          }
        } catch (error) {
          cell.status = 'stopped';
          const message = error instanceof Stopped ? error.message : String(error);
          cell.outputs.push({ type: 'error', value: { kind: 'error', name: 'Stopped', message, line: null } });
          this.status = message;
          break;
        }
        if (n === cells.length - 1) this.status = cells.length > 1 ? `Ran ${cells.length} cells.` : `Ran ${label}.`;
      }
    } finally {
      for (const cell of cells) if (cell.status === 'queued') cell.status = 'idle';
      this.running = false;
    }
  }

  runAll(): Promise<void> {
    return this.runCells(this.cells.map((_, i) => i));
  }

  /** Ends the sandbox at once (a running cell stops, every variable is gone) and closes the lab's session. */
  stop(): void {
    this.#stopRequested = true;
    this.#session?.close();
    this.#session = null;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
