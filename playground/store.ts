// The reader's notebooks, in this browser's IndexedDB: forks of examples, edited shared links, imports and
// new notebooks. A record keeps where it came from, so "Reset to original" can restore it. Nothing here
// overwrites a record the reader did not open: every new notebook gets a new id.
import type { Notebook } from './notebook.ts';

const DB_NAME = 'moe-lab-playground';
const STORE = 'notebooks';

export type Origin =
  | { kind: 'example'; slug: string }
  | { kind: 'shared'; original: Notebook }
  | { kind: 'import'; file: string; original: Notebook }
  | { kind: 'new' };

export interface SavedNotebook {
  id: string;
  notebook: Notebook;
  origin: Origin;
  created: number;
  updated: number;
}

/** An example's fork has a fixed id, so its page finds it again after a reload. */
export function exampleForkId(slug: string): string {
  return `example-${slug}`;
}

export function newId(): string {
  return `nb-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

let db: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  db ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(new Error(`This browser's storage is not available: ${request.error?.message ?? 'unknown error'}.`));
  });
  db.catch(() => (db = null));
  return db;
}

async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const store = (await open()).transaction(STORE, mode).objectStore(STORE);
  return new Promise((resolve, reject) => {
    const request = work(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(new Error(`Saving in this browser failed: ${request.error?.message ?? 'unknown error'}.`));
  });
}

export function getNotebook(id: string): Promise<SavedNotebook | undefined> {
  return transact('readonly', (s) => s.get(id) as IDBRequest<SavedNotebook | undefined>);
}

export async function putNotebook(record: SavedNotebook): Promise<void> {
  // $state proxies do not survive the structured clone IndexedDB uses: store a plain copy.
  await transact('readwrite', (s) => s.put(JSON.parse(JSON.stringify(record)) as SavedNotebook));
}

export async function deleteNotebook(id: string): Promise<void> {
  await transact('readwrite', (s) => s.delete(id));
}

export async function listNotebooks(): Promise<SavedNotebook[]> {
  const all = await transact('readonly', (s) => s.getAll() as IDBRequest<SavedNotebook[]>);
  return all.sort((a, b) => b.updated - a.updated);
}
