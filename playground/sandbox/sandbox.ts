// The page's side of the sandbox. Each session is one `<iframe sandbox="allow-scripts">` (never with
// allow-same-origin: its origin is opaque, so it has none of the site's localStorage, IndexedDB, cookies,
// Cache Storage or DOM), whose CSP blocks every network request; inside it, a Worker runs the cells. Stop
// and the time limit remove the frame, which ends the worker however busy it is: the page's own thread
// never runs a cell, so it keeps responding. A new session starts with a new frame and a fresh scope.
import type { ParamValue } from '../notebook.ts';
import type { OutputItem } from '../values.ts';
import type { FromGuest, StartMessage, ToGuest } from './protocol.ts';

/** The frame's only policy: scripts from itself (inline, blob: workers, eval for the cells), no network at all. */
export const SANDBOX_CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; worker-src blob:; style-src 'unsafe-inline'; img-src data: blob:";

// The frame's whole document. It starts the guest worker from the code the page sends, relays messages
// both ways on the page's port, and draws Plot charts (it has a DOM, the worker does not) before relaying.
const FRAME_SCRIPT = `
addEventListener('message', function start(event) {
  if (event.source !== parent || !event.data || event.data.type !== 'moe-start') return;
  removeEventListener('message', start);
  const port = event.ports[0];
  const lab = event.ports[1];
  // Classic scripts in a function of their own: Chromium does not start module workers from an opaque
  // origin's blob: URLs, and the bundles' top-level names must not be globals a cell could overwrite.
  const source = (text) => URL.createObjectURL(new Blob(['(() => {\\n', text, '\\n})();'], { type: 'text/javascript' }));
  const worker = new Worker(source(event.data.worker));
  const plotCode = event.data.plot;
  let renderer = null;
  const draw = async (value) => {
    if (!value || typeof value !== 'object') return value;
    if (value.kind === 'plotSpec') {
      renderer ??= new Promise((resolve, reject) => {
        const script = Object.assign(document.createElement('script'), { src: source(plotCode) });
        script.onload = () => resolve(globalThis.moeRenderPlot);
        script.onerror = () => reject(new Error('the chart library did not load'));
        document.head.append(script);
      });
      try {
        return { kind: 'plot', ...(await renderer)(value.spec, event.data.theme) };
      } catch (error) {
        return { kind: 'error', name: 'PlotError', message: 'The chart could not be drawn: ' + error.message, line: null };
      }
    }
    if (value.kind === 'array') return { ...value, items: await Promise.all(value.items.map(draw)) };
    if (value.kind === 'object') return { ...value, entries: await Promise.all(value.entries.map(async ([k, v]) => [k, await draw(v)])) };
    return value;
  };
  let order = Promise.resolve();
  worker.onmessage = (message) => {
    const data = message.data;
    order = order.then(async () => {
      if (data.type === 'output' && data.item.type === 'display') data.item.value = await draw(data.item.value);
      if (data.type === 'output' && data.item.type === 'value') data.item.value = await draw(data.item.value);
      if (data.type === 'output' && data.item.type === 'log') data.item.values = await Promise.all(data.item.values.map(draw));
      port.postMessage(data);
    });
  };
  worker.onerror = (error) => {
    error.preventDefault();
    port.postMessage({ type: 'crash', message: error.message || 'the sandbox worker stopped' });
  };
  port.onmessage = (message) => worker.postMessage(message.data);
  worker.postMessage({ type: 'init', params: event.data.params }, lab ? [lab] : []);
});
parent.postMessage({ type: 'moe-sandbox-ready' }, '*');
`;

export function frameDocument(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${SANDBOX_CSP}"></head><body><script>${FRAME_SCRIPT}</script></body></html>`;
}

export interface SandboxCode {
  worker: string;
  plot: string;
}

/** Why a cell did not finish: the reader pressed Stop, the time limit passed, or the worker died. */
export class Stopped extends Error {
  readonly reason: 'stop' | 'timeout' | 'crash';

  constructor(reason: 'stop' | 'timeout' | 'crash', message: string) {
    super(message);
    this.reason = reason;
  }
}

interface Running {
  cellId: number;
  onOutput: (item: OutputItem) => void;
  resolve: (ok: boolean) => void;
  reject: (error: Stopped) => void;
}

export class SandboxSession {
  private running: Running | null = null;
  private closed = false;
  private onClose: Array<() => void> = [];

  private readonly frame: HTMLIFrameElement;
  private readonly port: MessagePort;

  private constructor(frame: HTMLIFrameElement, port: MessagePort) {
    this.frame = frame;
    this.port = port;
    port.onmessage = (event: MessageEvent<FromGuest>) => this.receive(event.data);
  }

  /**
   * Starts a frame in `host` (it stays invisible) and its guest worker; `labPort` (optional) is handed to
   * the worker for the lab. Resolves once the worker is ready for cells.
   */
  static async start(
    host: HTMLElement,
    code: SandboxCode,
    params: Record<string, ParamValue>,
    labPort?: MessagePort,
  ): Promise<SandboxSession> {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('title', 'Sandbox that runs the notebook’s code');
    frame.setAttribute('aria-hidden', 'true');
    frame.tabIndex = -1;
    frame.className = 'sandbox-frame';
    frame.srcdoc = frameDocument();
    const channel = new MessageChannel();
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        removeEventListener('message', onMessage);
        reject(new Stopped('crash', 'The sandbox did not start within 20 s.'));
      }, 20_000);
      const onMessage = (event: MessageEvent): void => {
        if (event.source !== frame.contentWindow || (event.data as { type?: string })?.type !== 'moe-sandbox-ready')
          return;
        removeEventListener('message', onMessage);
        clearTimeout(timer);
        const style = getComputedStyle(document.documentElement);
        const theme = { fg: style.getPropertyValue('--fg').trim(), bg: style.getPropertyValue('--bg-raised').trim() };
        const start: StartMessage = { type: 'moe-start', worker: code.worker, plot: code.plot, params, theme };
        frame.contentWindow?.postMessage(start, '*', labPort ? [channel.port2, labPort] : [channel.port2]);
        resolve();
      };
      addEventListener('message', onMessage);
    });
    host.append(frame);
    try {
      await ready;
    } catch (error) {
      frame.remove();
      throw error;
    }
    const session = new SandboxSession(frame, channel.port1);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.close();
        reject(new Stopped('crash', 'The sandbox worker did not start within 20 s.'));
      }, 20_000);
      session.whenReady = () => {
        clearTimeout(timer);
        resolve();
      };
      session.onEnd(() => {
        clearTimeout(timer);
        reject(session.endReason);
      });
    });
    return session;
  }

  private whenReady: () => void = () => undefined;
  private endReason: Stopped | null = null;

  private receive(message: FromGuest): void {
    if (message.type === 'ready') this.whenReady();
    else if (message.type === 'crash') {
      this.close(
        new Stopped('crash', `The sandbox stopped: ${message.message}. Its variables are gone; run the cells again.`),
      );
    } else if (this.running && message.cellId === this.running.cellId) {
      if (message.type === 'output') this.running.onOutput(message.item);
      else {
        const { resolve } = this.running;
        this.running = null;
        resolve(message.ok);
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs one cell; resolves with whether it finished without error, rejects with {@link Stopped}. */
  run(cellId: number, source: string, onOutput: (item: OutputItem) => void, timeLimitMs: number): Promise<boolean> {
    if (this.closed) return Promise.reject(new Stopped('crash', 'This sandbox is closed.'));
    if (this.running) return Promise.reject(new Stopped('crash', 'Another cell is running.'));
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        const seconds = Math.round(timeLimitMs / 1000);
        this.close(
          new Stopped(
            'timeout',
            `Stopped after ${seconds} s, the time limit per cell. Its variables are gone; run the cells again, or raise the limit.`,
          ),
        );
      }, timeLimitMs);
      this.running = {
        cellId,
        onOutput,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const message: ToGuest = { type: 'run', cellId, source };
      this.port.postMessage(message);
    });
  }

  /** Calls `listener` once when the session ends (the page closes the lab's guest session there). */
  onEnd(listener: () => void): void {
    if (this.closed) listener();
    else this.onClose.push(listener);
  }

  /** Removes the frame: its worker ends at once, whatever it is doing. */
  close(reason = new Stopped('stop', 'Stopped. The notebook’s variables are gone; run the cells again.')): void {
    if (this.closed) return;
    this.closed = true;
    this.endReason = reason;
    this.port.close();
    this.frame.remove();
    const running = this.running;
    this.running = null;
    running?.reject(reason);
    for (const listener of this.onClose.splice(0)) listener();
  }
}
