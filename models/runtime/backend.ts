// Backend setup: load a tfjs backend, register tfjs-core's gradients, install our kernels.
//
// Stock tfjs 4.22 gets several things wrong for a sparse MoE (measured; see models/runtime/kernels.ts):
// wasm cannot differentiate tf.gather, cpu's segment sum is quadratic, and wasm's matmul and gather are
// slow outside their happy path. `patchKernels` fixes these with kernels written against tfjs APIs
// only, so the browser worker calls the same function.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from './backends.ts';
import { kernelPatches } from './kernels.ts';

export type { BackendName } from './backends.ts';

/**
 * Loads `name`, registers gradients, installs the kernel patches and makes it the active backend.
 * In Node, call `setupNodeBackend` (models/node/backend-node.ts) instead: it also locates the wasm binary.
 */
export async function setupBackend(name: BackendName): Promise<void> {
  // Loaded on demand: their kernels are large and a page only ever needs one of them.
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  await registerGradients();
  patchKernels();
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`The tfjs backend '${name}' could not start here; try 'wasm' or 'cpu' instead.`);
  }
  await tf.ready();
}

/** tfjs-core ships without its gradients registered (the @tensorflow/tfjs umbrella package does that). */
async function registerGradients(): Promise<void> {
  try {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  } catch (error) {
    throw new Error(
      "tfjs-core's gradients could not be loaded. In Node, call setupNodeBackend() from models/node/backend-node.ts, " +
        'which teaches Node to resolve them.',
      { cause: error },
    );
  }
}

let patched = false;

/** Installs our cpu and wasm kernels in place of the stock ones; safe to call more than once. */
export function patchKernels(): void {
  if (patched) return;
  patched = true;
  for (const config of kernelPatches()) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
  }
}
