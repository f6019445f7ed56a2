// The backends a reader can choose, in one place: the engine's preference order (models/runtime/backends.ts)
// plus 'auto', and the names the widgets show for them.
import { BACKEND_PREFERENCE, type BackendName } from '../models/runtime/backends.ts';

export type BackendChoice = BackendName | 'auto';

/** What a widget's backend menu offers, in order: the engine's own preference after "best available". */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_PREFERENCE];

/** The reader's names for the backends. */
export const BACKEND_LABELS: Readonly<Record<BackendChoice, string>> = {
  auto: 'best available',
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'plain JavaScript (cpu)',
};
