// The tfjs backends the course runs on, declared once: the engine tries them in this order, and the
// widgets' URL schemas and menus read the same list. No tfjs import, so a page can read it for free.

/** Fastest first: the order the engine tries when the reader has not chosen one. */
export const BACKEND_PREFERENCE = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_PREFERENCE)[number];
