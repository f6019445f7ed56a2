// The Web Worker entry: the engine runs here, off the page's main thread, so scrolling and typing stay
// smooth while the model computes.
import { hostEngine, type Port } from './host.ts';
import { WASM_PATHS } from './wasm-paths.ts';

hostEngine(self as unknown as Port, { inWorker: true, wasmPaths: WASM_PATHS });
