// Registers the service worker (dist/sw.js, written at build time) and tells the reader when a newer
// version of the site is ready. The update waits for the reader: a reload in the middle of a lesson
// would lose what a widget was doing.
import { withBase } from '../lib/paths';

const banner = document.querySelector<HTMLElement>('[data-update-banner]');
const button = banner?.querySelector<HTMLButtonElement>('button');

function offer(worker: ServiceWorker): void {
  if (!banner || !button) return;
  banner.hidden = false;
  button.onclick = () => {
    button.disabled = true;
    worker.postMessage('skip-waiting');
  };
}

// Only a built site has sw.js; the dev server rebuilds modules on the fly and must never be cached.
if (import.meta.env.PROD && 'serviceWorker' in navigator && banner) {
  const sw = navigator.serviceWorker;
  // The first install also changes the controller (clients.claim); only a reader's accepted update reloads.
  sw.addEventListener('controllerchange', () => {
    if (button?.disabled) location.reload();
  });
  const register = (): Promise<ServiceWorkerRegistration> => sw.register(withBase('sw.js'), { scope: withBase('') });
  // After the page has loaded: precaching the site must not compete with the page's own first load.
  const loaded = new Promise<void>((resolve) =>
    document.readyState === 'complete' ? resolve() : addEventListener('load', () => resolve(), { once: true }),
  );
  loaded
    .then(register)
    .then((registration) => {
      // A new version may already be waiting, or installing since this navigation's update check.
      const track = (worker: ServiceWorker | null): void => {
        if (!worker || !sw.controller) return;
        if (worker.state === 'installed') return offer(worker);
        worker.addEventListener('statechange', () => {
          if (worker.state === 'installed') offer(worker);
        });
      };
      track(registration.waiting ?? registration.installing);
      registration.addEventListener('updatefound', () => track(registration.installing));
      // Ask for a newer sw.js on every page load rather than when the browser gets round to it (Chromium
      // may not check on a reload); offline, the check simply fails.
      if (sw.controller) registration.update().catch(() => undefined);
    })
    .catch((error: unknown) => console.warn('The offline copy of this site could not be set up.', error));
}
