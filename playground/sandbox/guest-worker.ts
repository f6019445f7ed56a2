// The guest worker: runs inside the sandbox frame (an opaque origin, under the frame's CSP), so cell code
// can reach neither the site's storage nor its DOM nor the network, and an endless loop stalls only this
// thread until the page removes the frame. Built as its own bundle, which the page hands to the frame.
import { connectLab } from '../lab-port/connect.ts';
import { helpers } from '../lab-port/helpers.ts';
import { CellRunner } from '../runner.ts';
import { plotApi } from '../plot-spec.ts';
import { DOWNLOAD_TAG, LIMITS, showError } from '../values.ts';
import { installMemoryGuard } from './memory-guard.ts';
import type { FromGuest, ToGuest } from './protocol.ts';

installMemoryGuard(self as unknown as Record<string, unknown>);

const scope = self as unknown as {
  postMessage(message: FromGuest): void;
  onmessage: ((event: MessageEvent<ToGuest>) => void) | null;
};

function post(message: FromGuest): void {
  try {
    scope.postMessage(message);
  } catch (error) {
    // A value the structured clone refuses (a function nested in a download, say) must not stop the run.
    if (message.type === 'output') {
      scope.postMessage({ ...message, item: { type: 'error', value: showError(error, null) } });
    } else throw error;
  }
}

/** `display(download('model.zip', bytes))`: the page offers the bytes as a file; nothing else is sent. */
function download(name: unknown, bytes: unknown): object {
  if (typeof name !== 'string' || !/^[\w][\w .()-]{0,120}$/.test(name)) {
    throw new TypeError(
      'download(name, bytes): the name must be a file name of letters, digits, spaces, ".", "-", "_".',
    );
  }
  let data: Uint8Array;
  if (typeof bytes === 'string') data = new TextEncoder().encode(bytes);
  else if (bytes instanceof ArrayBuffer) data = new Uint8Array(bytes.slice(0));
  else if (ArrayBuffer.isView(bytes))
    data = new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  else throw new TypeError('download(name, bytes): the bytes must be a Uint8Array, an ArrayBuffer or a string.');
  if (data.length > LIMITS.downloadBytes) {
    throw new RangeError(
      `download: ${data.length} bytes is more than the ${LIMITS.downloadBytes / 1e6} MB a download may be.`,
    );
  }
  return { [DOWNLOAD_TAG]: true, name, bytes: data };
}

let runner: CellRunner | null = null;
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'init') {
    const labPort = event.ports[0];
    const lab = labPort ? connectLab(labPort as unknown as Parameters<typeof connectLab>[0]) : undefined;
    labPort?.start();
    runner = new CellRunner({
      ...helpers,
      Plot: plotApi(),
      params: Object.freeze({ ...message.params }),
      download,
      lab,
    });
    runner.captureConsole(console);
    post({ type: 'ready' });
  } else if (message.type === 'run' && runner) {
    const active = runner;
    queue = queue.then(async () => {
      const ok = await active.run(message.source, message.cellId, (item) =>
        post({ type: 'output', cellId: message.cellId, item }),
      );
      post({ type: 'done', cellId: message.cellId, ok });
    });
  }
};
