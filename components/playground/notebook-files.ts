// Files in and out of the playground: export as .moe-notebook.json or Markdown (bytes the page builds
// itself), and import from a file (picked or dropped), which always becomes a new saved notebook.
import {
  fileStem,
  MAX_NOTEBOOK_BYTES,
  parseNotebookFile,
  toJson,
  toMarkdown,
  type Notebook,
} from '../../playground/notebook.ts';
import { newId, putNotebook, type SavedNotebook } from '../../playground/store.ts';

export function exportNotebook(notebook: Notebook, as: 'json' | 'markdown'): void {
  const text = as === 'json' ? toJson(notebook) : toMarkdown(notebook);
  const name = `${fileStem(notebook.title)}${as === 'json' ? '.moe-notebook.json' : '.md'}`;
  const url = URL.createObjectURL(new Blob([text], { type: as === 'json' ? 'application/json' : 'text/markdown' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reads a file as a notebook and saves it as a new one; the reader's other notebooks are untouched. */
export async function importNotebookFile(
  file: File,
): Promise<{ ok: true; record: SavedNotebook } | { ok: false; problem: string }> {
  if (file.size > MAX_NOTEBOOK_BYTES) {
    return {
      ok: false,
      problem: `“${file.name}” is ${(file.size / 1e6).toFixed(1)} MB; a notebook may be at most ${MAX_NOTEBOOK_BYTES / 1e6} MB. Is it the right file?`,
    };
  }
  const parsed = parseNotebookFile(file.name, await file.text());
  if (!parsed.ok) return { ok: false, problem: `“${file.name}” could not be imported. ${parsed.problem}` };
  const now = Date.now();
  const record: SavedNotebook = {
    id: newId(),
    notebook: parsed.notebook,
    origin: { kind: 'import', file: file.name, original: parsed.notebook },
    created: now,
    updated: now,
  };
  try {
    await putNotebook(record);
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, record };
}
