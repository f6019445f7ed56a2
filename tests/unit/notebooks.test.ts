// Every example notebook (notebooks/*.md) run end to end in Node against the real engine, through the lab
// port as a cell sees it: its cells in order, in one scope, with its own params. What only a browser has
// is replaced: Plot's drawing (a DOM) by the chart's description, and the download link by its bytes.
// tests/e2e/playground-notebooks.test.ts runs the same notebooks in Chromium, charts drawn.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parse } from 'acorn';
import { transform } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../components/engine-client.ts';
import { hostEngine, type Port } from '../../models/engine/host.ts';
import type { FromEngine, ToEngine } from '../../models/engine/protocol.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { connectLab, helpers, serveLab, type LabSources } from '../../playground/lab-port/index.ts';
import { CHECKPOINTS_ON_DISK, nodeLabSources } from './lab-sources.ts';

const DIR = 'notebooks';

interface ExampleNotebook {
  slug: string;
  frontmatter: { title: string; summary: string; lesson: string; params?: Record<string, string | number | boolean> };
  cells: string[];
}

/** The contract's format: YAML frontmatter, then Markdown where each ```ts fence is a code cell. */
function readNotebook(file: string): ExampleNotebook {
  const text = readFileSync(join(DIR, file), 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`${file} has no frontmatter.`);
  const cells = [...match[2]!.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return {
    slug: file.replace(/\.md$/, ''),
    frontmatter: parseYaml(match[1]!) as ExampleNotebook['frontmatter'],
    cells,
  };
}

/** A cell's last expression statement becomes the cell's value, as the playground shows it. */
function lastValueShown(code: string): string {
  const program = parse(code, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true });
  const last = program.body.at(-1);
  if (last?.type !== 'ExpressionStatement') return code;
  const statement = code.slice(last.start, last.end).replace(/;\s*$/, '');
  return `${code.slice(0, last.start)}__show((${statement}));${code.slice(last.end)}`;
}

/** Observable Plot's API as data: each mark and plot() returns what it was called with. */
const Plot = new Proxy(
  {},
  { get: (_, name) => (data: unknown, options: unknown) => ({ mark: String(name), data, options }) },
);

const files = readdirSync(DIR).filter((f) => f.endsWith('.md'));
const notebooks = files.map(readNotebook).filter((n) => n.slug !== 'playground-tour');
const lessons = readdirSync('lessons').map((f) => f.replace(/\.mdx$/, ''));

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

  it('there are at least nine, each tied to a lesson that exists', () => {
    expect(notebooks.length).toBeGreaterThanOrEqual(9);
    for (const n of notebooks) {
      expect(n.frontmatter.title, n.slug).toBeTypeOf('string');
      expect(n.frontmatter.summary, n.slug).toBeTypeOf('string');
      expect(lessons, n.slug).toContain(n.frontmatter.lesson);
      expect(n.cells.length, n.slug).toBeGreaterThan(2);
    }
  });

  for (const notebook of notebooks) {
    it(`${notebook.slug}: every cell runs`, { timeout: 180_000 }, async () => {
      const channel = new MessageChannel();
      ports.push(channel.port1, channel.port2);
      const session = serveLab(channel.port1, client, sources);
      const lab = connectLab(channel.port2 as unknown as Parameters<typeof connectLab>[0]);
      const shown: unknown[] = [];
      const scope: Record<string, unknown> = {
        ...helpers,
        lab,
        params: Object.freeze({ ...notebook.frontmatter.params }),
        Plot,
        display: (value: unknown) => shown.push(value),
        download: (name: string, bytes: Uint8Array) => ({ name, bytes }),
      };
      const before = tf.memory().numTensors;
      // One scope for all cells, as in the playground: a name a cell declares is visible in the next.
      const body = [];
      for (const [i, cell] of notebook.cells.entries()) {
        body.push(`__cell(${i});\n${lastValueShown((await transform(cell, { loader: 'ts' })).code)}`);
      }
      let cell = -1;
      const run = new Function(
        ...Object.keys(scope),
        '__cell',
        '__show',
        `return (async () => {\n${body.join('\n')}\n})();`,
      ) as (...args: unknown[]) => Promise<void>;
      try {
        await run(
          ...Object.values(scope),
          (i: number) => (cell = i),
          (value: unknown) => shown.push(value),
        );
        // NOTEBOOK_DUMP=1 prints what the cells showed (charts left out), to read the figures the prose describes.
        if (process.env.NOTEBOOK_DUMP) {
          const plain = shown.filter((v) => !(typeof v === 'object' && v !== null && 'mark' in v));
          const bytes = (_: string, v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : v);
          console.log(`${notebook.slug} ${JSON.stringify(plain, bytes)}\n`);
        }
      } catch (error) {
        throw new Error(
          `Cell ${cell + 1} of ${notebook.slug} failed: ${error instanceof Error ? error.message : error}`,
          {
            cause: error,
          },
        );
      } finally {
        await session.close();
      }
      expect(shown.length, 'something is displayed').toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
