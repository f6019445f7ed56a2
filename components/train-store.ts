// Keeps the reader's last training run in IndexedDB, so a reload shows it and can still export it. One
// record: the checkpoint zips, the loss curves and the settings. Failing storage (a private window) is
// reported as a sentence, never thrown at the page.
import type { TrainMode } from './train-state.ts';

export interface SavedRun {
  savedAt: string;
  mode: TrainMode;
  steps: number;
  seed: number;
  /** Per run id: its checkpoint zip, steps done and losses (one per step) and validation points. */
  runs: { id: string; stepsDone: number; zip: Uint8Array | null; losses: number[]; val: [number, number][] }[];
}

const DB = 'moe-lab-training';
const STORE = 'runs';
const KEY = 'last';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('This browser has no IndexedDB.'));
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not open.'));
  });
}

async function transact<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = act(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB refused the request.'));
    });
  } finally {
    db.close();
  }
}

export const saveRun = (run: SavedRun): Promise<unknown> => transact('readwrite', (s) => s.put(run, KEY));
export const loadRun = (): Promise<SavedRun | undefined> => transact('readonly', (s) => s.get(KEY));
