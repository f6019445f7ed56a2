// Every example notebook (notebooks/*.md) run end to end in Node against the real engine, through the lab
// port as a cell sees it: parsed by the playground's reader, each cell run in order by the playground's own
// CellRunner (one scope, top-level await, the last expression's value), with Plot recording charts as data as
// it does in the sandbox's worker. Only drawing (the frame's job, a DOM) is left to the Chromium end-to-end
// test, tests/e2e/playground-notebooks.test.ts, which runs the same notebooks in the real playground.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../components/engine-client.ts';
import { hostEngine, type Port } from '../../models/engine/host.ts';
import type { FromEngine, ToEngine } from '../../models/engine/protocol.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { connectLab, helpers, serveLab, type LabSources } from '../../playground/lab-port/index.ts';
import { fromMarkdown, type Notebook } from '../../playground/notebook.ts';
import { plotApi } from '../../playground/plot-spec.ts';
import { CellRunner } from '../../playground/runner.ts';
import { DOWNLOAD_TAG, type OutputItem } from '../../playground/values.ts';
import { CHECKPOINTS_ON_DISK, INTENDED_ERRORS, nodeLabSources } from './lab-sources.ts';

const DIR = 'notebooks';

function readNotebook(file: string): { slug: string; notebook: Notebook } {
  const parsed = fromMarkdown(readFileSync(join(DIR, file), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.problem}`);
  return { slug: file.replace(/\.md$/, ''), notebook: parsed.notebook };
}

const notebooks = readdirSync(DIR)
  .filter((f) => f.endsWith('.md'))
  .map(readNotebook);
const lessons = readdirSync('lessons').map((f) => f.replace(/\.mdx$/, ''));

/** A cell's outputs, shortened for a failure message or NOTEBOOK_DUMP. */
function printable(items: OutputItem[]): string {
  return JSON.stringify(items, (_, v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : v)).slice(0, 4000);
}

let client: EngineClient;
let sources: LabSources;
const ports: MessagePort[] = [];

describe('example notebooks (real engine, wasm, in Node)', () => {
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
    const engine = new MessageChannel();
    ports.push(engine.port1, engine.port2);
    hostEngine(engine.port1 as unknown as Port, {
      inWorker: false,
      fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
    });
    engine.port2.start();
    client = new EngineClient({
      post: (message: ToEngine) => engine.port2.postMessage(message),
      listen: (listener: (message: FromEngine) => void) =>
        engine.port2.addEventListener('message', (event) => listener((event as MessageEvent<FromEngine>).data)),
      onFailure: () => undefined,
    });
    await client.request('init', { backend: 'wasm' });
    sources = nodeLabSources(CHECKPOINTS_ON_DISK);
  }, 60_000);

  afterAll(() => ports.forEach((port) => port.close()));

  it('there are at least nine examples, each tied to a lesson that exists', () => {
    expect(notebooks.length).toBeGreaterThanOrEqual(9);
    for (const { slug, notebook } of notebooks) {
      expect(notebook.title, slug).not.toBe('');
      expect(notebook.summary, slug).not.toBe('');
      expect(lessons, slug).toContain(notebook.lesson);
      expect(notebook.cells.filter((c) => c.kind === 'code').length, slug).toBeGreaterThan(2);
    }
  });

  for (const { slug, notebook } of notebooks) {
    it(`${slug}: every cell runs`, { timeout: 180_000 }, async () => {
      const channel = new MessageChannel();
      ports.push(channel.port1, channel.port2);
      const session = serveLab(channel.port1, client, sources);
      const lab = connectLab(channel.port2 as unknown as Parameters<typeof connectLab>[0]);
      const runner = new CellRunner({
        ...helpers,
        lab,
        Plot: plotApi(),
        params: Object.freeze({ ...notebook.params }),
        download: (name: string, bytes: Uint8Array) => ({ [DOWNLOAD_TAG]: true, name, bytes }),
      });
      const before = tf.memory().numTensors;
      const failed: number[] = [];
      const outputs: OutputItem[][] = [];
      try {
        const code = notebook.cells.filter((c) => c.kind === 'code');
        for (const [i, cell] of code.entries()) {
          const items: OutputItem[] = [];
          outputs.push(items);
          if (!(await runner.run(cell.source, i, (item) => items.push(item)))) failed.push(i + 1);
        }
      } finally {
        await session.close();
      }
      // NOTEBOOK_DUMP=1 prints what every cell showed, to read the figures the prose describes.
      if (process.env.NOTEBOOK_DUMP)
        outputs.forEach((items, i) => console.log(`${slug} cell ${i + 1}: ${printable(items)}`));
      const expected = INTENDED_ERRORS[slug] ?? [];
      expect(failed, failed.map((n) => `cell ${n}: ${printable(outputs[n - 1]!)}`).join('\n')).toEqual(expected);
      expect(outputs.flat().length, 'the cells show something').toBeGreaterThan(0);
      expect(tf.memory().numTensors, 'every tensor of the run is freed').toBe(before);
    });
  }
});
