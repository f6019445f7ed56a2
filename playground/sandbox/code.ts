// The sandbox's two bundles (the guest worker, the Plot renderer), fetched as text once per page: the frame
// has an opaque origin, so it cannot load the site's scripts itself; it starts them from blob: URLs.
import guestWorkerUrl from './guest-worker.ts?worker&url';
import plotRenderUrl from './plot-render.ts?worker&url';
import type { SandboxCode } from './sandbox.ts';

let code: Promise<SandboxCode> | null = null;

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`The playground's code did not load (${url}: HTTP ${response.status}).`);
  return response.text();
}

export function sandboxCode(): Promise<SandboxCode> {
  // The dev server serves the bundles as ES modules with imports, which a classic worker in an opaque frame
  // cannot resolve: say so instead of failing with a SyntaxError.
  if (import.meta.env.DEV) {
    return Promise.reject(
      new Error('Cells run only in a built site: `npm start` builds it and serves it (the dev server cannot).'),
    );
  }
  code ??= Promise.all([text(guestWorkerUrl), text(plotRenderUrl)]).then(([worker, plot]) => ({ worker, plot }));
  code.catch(() => (code = null));
  return code;
}
