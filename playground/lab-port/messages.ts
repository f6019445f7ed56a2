// The messages between a notebook's guest worker (connect.ts) and the page (serve.ts). A call gets one
// `result` or one `error`, with any number of `stream` messages (generated tokens, training progress)
// before it; `cancel`, `pause` and `resume` steer a call that is running. Structured-clone data only.

/** Every method the page answers, and nothing else. */
export const LAB_METHODS = [
  'checkpoints',
  'load',
  'route',
  'generate',
  'heldOutLoss',
  'decodeSpeed',
  'memory',
  'save',
  'exportZip',
  'dispose',
  'train',
] as const;

export type LabMethod = (typeof LAB_METHODS)[number];

/** Guest → page. */
export type ToPage =
  { id: number; kind: 'call'; method: string; args: unknown[] } | { id: number; kind: 'cancel' | 'pause' | 'resume' };

/** Page → guest. */
export type ToGuest =
  | { id: number; kind: 'result'; value: unknown }
  | { id: number; kind: 'stream'; value: unknown }
  | { id: number; kind: 'error'; message: string };

/** What the page tells the guest about a model it holds for it (`load`, and each trained run). */
export interface ModelDescriptor {
  /** The session's handle for it: every later call on the model names it. */
  handle: string;
  name: string;
  config: Record<string, unknown>;
  notes: string[];
}
