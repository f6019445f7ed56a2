// Node-only part of backend setup. Two things a bundler does for the browser, Node needs told:
//  - where the wasm backend's .wasm binaries are on disk;
//  - how to load tfjs-core's gradient files, which exist only as ES modules with extensionless imports
//    ('./gradients/Abs_grad') that Node refuses to resolve. They share tfjs's engine and registries
//    with the CommonJS build Node loads for `@tensorflow/tfjs-core`, because tfjs keeps those in globals.

import { registerHooks } from 'node:module';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { setupBackend } from '../runtime/backend.ts';
import type { BackendName } from '../runtime/backend.ts';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

let hooked = false;

/** Lets Node import tfjs-core's ES-module files: adds '.js' to their relative imports and loads them as ESM. */
function resolveTfjsCoreModules(): void {
  if (hooked) return;
  hooked = true;
  const distUrl = pathToFileURL(join(packageDir('@tensorflow/tfjs-core'), 'dist') + '/').href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const inDist = context.parentURL?.startsWith(distUrl) === true;
      if (inDist && specifier.startsWith('.') && !specifier.endsWith('.js')) {
        return nextResolve(`${specifier}.js`, context);
      }
      return nextResolve(specifier, context);
    },
    load(url, context, nextLoad) {
      if (!url.startsWith(distUrl)) return nextLoad(url, context);
      return { ...nextLoad(url, { ...context, format: 'module' }), format: 'module' };
    },
  });
}

/** `setupBackend` for Node (scripts, tests): the same backend and kernel patches the browser gets. */
export async function setupNodeBackend(name: BackendName): Promise<void> {
  resolveTfjsCoreModules();
  if (name === 'wasm') setWasmPaths(join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + '/');
  await setupBackend(name);
}
