// The lab a notebook cell sees, end to end in Node: connectLab (the guest) ↔ a real MessageChannel ↔
// serveLab (the page) ↔ the page's EngineClient ↔ another MessageChannel ↔ hostEngine and the real Engine
// on wasm. Checked against the Lab driven directly; plus what is refused, and what close() cleans up.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../components/engine-client.ts';
import { hostEngine, type Port } from '../../models/engine/host.ts';
import type { FromEngine, ToEngine } from '../../models/engine/protocol.ts';
import { Lab } from '../../models/lab.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { nodeLabSources } from './lab-sources.ts';
import {
  API_SOURCE,
  connectLab,
  helpers,
  serveLab,
  type LabEngine,
  type LabSession,
  type LabSources,
  type NotebookLab,
} from '../../playground/lab-port/index.ts';

const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json'];
const CHECKPOINT_IDS = ['dense', 'e8-top2'];
const SOURCES: LabSources = nodeLabSources(CHECKPOINT_IDS);

/** A small fresh model that trains a step in a few milliseconds. */
const TINY = { experts: 4, topK: 2, hidden: 16, intermediate: 32, layers: 1, heads: 2, kvHeads: 1 };
const TEXT = 'The jury further said in term-end presentments that the City Executive Committee';

let client: EngineClient;
const ports: MessagePort[] = [];

/** What the engine answered the session, by request type (the real client, recorded on the way back). */
let answered: { type: string; result: unknown }[] = [];

function recorded(): LabEngine {
  const note =
    (type: string) =>
    <R>(result: R): R => (answered.push({ type, result }), result);
  return {
    request: (type, payload, handlers) => client.request(type, payload, handlers).then(note(type)),
    steerable: (type, payload, handlers) => {
      const s = client.steerable(type, payload, handlers);
      return { ...s, result: s.result.then(note(type)) };
    },
  };
}

/** A notebook run: a guest lab and the page's session serving it. */
function run(): { lab: NotebookLab; session: LabSession } {
  const channel = new MessageChannel();
  ports.push(channel.port1, channel.port2);
  answered = [];
  const session = serveLab(channel.port1, recorded(), SOURCES);
  return { lab: connectLab(channel.port2 as unknown as Parameters<typeof connectLab>[0]), session };
}

describe('lab port (real engine, wasm, in Node)', () => {
  let direct: Lab;

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
    direct = await Lab.load({ dir: 'models/checkpoints/e8-top2' });
  }, 60_000);

  afterAll(() => {
    direct.dispose();
    ports.forEach((port) => port.close());
  });

  it('loads, routes and counts as the Lab does, with typed arrays', async () => {
    const { lab, session } = run();
    const before = tf.memory().numTensors;
    expect((await lab.checkpoints()).map((c) => c.id)).toEqual(CHECKPOINT_IDS);
    const model = await lab.load('e8-top2');
    expect(model.name).toBe('e8-top2');
    expect(model.config.num_local_experts).toBe(8);
    expect(model.notes[0]).toMatch(/match manifest\.json/);

    const routed = await model.route(TEXT, { k: 2 });
    const expected = await direct.route(TEXT, { k: 2 });
    expect(routed.tokens).toEqual(expected.tokens);
    expect(routed.layers).toHaveLength(2);
    routed.layers.forEach((layer, l) => {
      expect(layer.expertIndex).toBeInstanceOf(Int32Array);
      expect(layer.probs).toBeInstanceOf(Float32Array);
      expect(Array.from(layer.expertIndex)).toEqual(Array.from(expected.layers[l]!.expertIndex));
      expect(Array.from(layer.expertTokens)).toEqual(Array.from(expected.layers[l]!.expertTokens));
      // Worked out on the page from the probabilities; the Lab's comes from its own window join.
      Array.from(layer.expertMeanProb).forEach((p, e) =>
        expect(p).toBeCloseTo(expected.layers[l]!.expertMeanProb[e]!, 6),
      );
    });
    expect(routed.ms).toBeGreaterThan(0);

    // Counted in the guest from the config, with the Lab's functions.
    expect(model.parameters(1)).toEqual(direct.parameters(1));
    expect(model.flopsPerToken(2, 32)).toEqual(direct.flopsPerToken(2, 32));
    expect(model.kvCacheBytes(64)).toBe(direct.kvCacheBytes(64));

    const losses = await model.heldOutLoss(TEXT, [1, 2, 8]);
    const directLosses = await direct.heldOutLoss(TEXT, [1, 2, 8]);
    expect(losses.map((p) => p.k)).toEqual([1, 2, 8]);
    losses.forEach((p, i) => expect(p.loss).toBeCloseTo(directLosses[i]!.loss, 5));

    const speed = await model.decodeSpeed('The jury said', { tokens: 4, k: 1 });
    expect(speed.tokens).toBe(3);
    expect((await model.memory()).weightBytes).toBe(direct.memory().weightBytes);

    await session.close();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('streams a generation token by token, the same text as the Lab; break stops it', async () => {
    const { lab, session } = run();
    const model = await lab.load('e8-top2');
    const options = { maxNewTokens: 12, temperature: 0, seed: 3, k: 2 };
    const steps = [];
    for await (const step of model.generate('The jury said', options)) steps.push(step);
    const expected = [];
    for await (const step of direct.generate('The jury said', options)) expected.push(step);
    expect(steps.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    expect(steps.at(-1)!.continuation).toBe(expected.at(-1)!.continuation);
    expect(steps[1]!.routing[0]!.expertIndex).toHaveLength(2);

    let seen = 0;
    for await (const step of model.generate('The jury said', { maxNewTokens: 40, temperature: 1, seed: 1 })) {
      expect(step.text).toBeTypeOf('string');
      if (++seen === 2) break;
    }
    expect(seen).toBe(2);
    // The engine stopped: the next call is answered (it would queue behind a runaway generation otherwise).
    expect((await model.route('x')).tokens).toHaveLength(2);
    await session.close();
  });

  it('refuses unknown methods, bad arguments and foreign handles with sentences', async () => {
    const { lab, session } = run();
    const model = await lab.load('dense');
    await expect(lab.load('e99')).rejects.toThrow(
      'lab.load(checkpoint): there is no checkpoint "e99"; the shipped ones are "dense", "e8-top2".',
    );
    await expect(model.route(42 as unknown as string)).rejects.toThrow(
      'model.route(text, options): text must be a string; got 42.',
    );
    await expect(model.route('x', { k: 2 })).rejects.toThrow(
      'model.route(text, options): k must be a whole number from 1 to 1; got 2.',
    );
    await expect(model.route('x', { topK: 1 } as unknown as { k: number })).rejects.toThrow(
      'model.route(text, options): options has no setting "topK"; the settings are k.',
    );
    await expect(model.route('x'.repeat(20_001))).rejects.toThrow(/20,001 characters long; at most 20,000/);
    await expect(model.heldOutLoss('x', [])).rejects.toThrow(/ks must be an array of 1 to 64/);
    await expect(model.generate('x', { temperature: -1 }).next()).rejects.toThrow(
      'model.generate(prompt, options): temperature must be a number from 0 to 100; got -1.',
    );
    await expect(lab.train({ stepz: 3 } as unknown as object).result()).rejects.toThrow(/has no setting "stepz"/);
    // Training runs' values are the validator's to judge (models/training/train-config.ts), in its words.
    await expect(lab.train({ steps: 0, model: TINY }).result()).rejects.toThrow(/steps/);

    // Raw messages a reader's code could post: an unknown method, a handle of another run.
    const channel = new MessageChannel();
    ports.push(channel.port1, channel.port2);
    const other = serveLab(channel.port1, client, SOURCES);
    const replies: unknown[] = [];
    channel.port2.addEventListener('message', (event) => replies.push((event as MessageEvent).data));
    channel.port2.start();
    channel.port2.postMessage({ id: 1, kind: 'call', method: 'loseContext', args: [] });
    channel.port2.postMessage({ id: 2, kind: 'call', method: 'route', args: ['notebook-1-x:m1', 'hi'] });
    channel.port2.postMessage('garbage');
    channel.port2.postMessage({ id: 3, kind: 'call', method: 'constructor', args: [] });
    await expect.poll(() => replies.length).toBe(3);
    expect(replies).toContainEqual({
      id: 1,
      kind: 'error',
      message:
        '"loseContext" is not something a notebook can call; the lab answers checkpoints, load, route, generate, heldOutLoss, decodeSpeed, memory, save, exportZip, dispose, train.',
    });
    expect(replies).toContainEqual({
      id: 2,
      kind: 'error',
      message:
        "model.route(text, options): that is not a model of this run; get one from lab.load or a training's result.",
    });
    expect(replies.find((r) => (r as { id: number }).id === 3)).toMatchObject({ kind: 'error' });

    await model.dispose();
    await expect(model.route('x')).rejects.toThrow(
      'this model was disposed (model.dispose()); load or train it again.',
    );
    await Promise.all([session.close(), other.close()]);
  });

  it('trains with progress for every step; the trained model routes, saves and exports', async () => {
    const { lab, session } = run();
    const before = tf.memory().numTensors;
    const training = lab.train(
      [
        { name: 'balanced', model: TINY, steps: 20, batch: 2, seqLen: 16, schedule: { warmup: 2 } },
        {
          name: 'free',
          model: TINY,
          steps: 20,
          batch: 2,
          seqLen: 16,
          schedule: { warmup: 2 },
          routing: { auxLossCoef: 0 },
        },
      ],
      { evalEvery: 10, evalWindows: 2 },
    );
    const losses: Record<string, number[]> = { balanced: [], free: [] };
    for await (const p of training) {
      expect(p.firstStep).toBe(losses[p.run]!.length + 1);
      losses[p.run]!.push(...p.losses);
    }
    expect(losses.balanced).toHaveLength(20);
    expect(losses.free).toHaveLength(20);
    const { runs, cancelled, error } = await training.result();
    expect({ cancelled, error }).toEqual({ cancelled: false, error: null });
    expect(runs.map((r) => r.name)).toEqual(['balanced', 'free']);
    const model = runs[0]!.model!;
    expect(model.config.num_local_experts).toBe(4);
    const routed = await model.route('The jury');
    expect(routed.numExperts).toBe(4);
    const files = await model.save();
    expect([...files.keys()].sort()).toEqual(FILES.slice().sort());
    const zip = await model.exportZip();
    // The zip is a checkpoint the Lab loads back to the same routing.
    const reloaded = await Lab.load(await checkpointFilesFromZip(zip));
    const again = await reloaded.route('The jury');
    reloaded.dispose();
    expect(Array.from(again.layers[0]!.expertIndex)).toEqual(Array.from(routed.layers[0]!.expertIndex));
    await session.close();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('close() cancels a running training and frees every model of the run', async () => {
    const { lab, session } = run();
    const before = tf.memory().numTensors;
    const loaded = await lab.load('e8-top2');
    expect(loaded.name).toBe('e8-top2');
    const training = lab.train({ name: 'long', model: TINY, steps: 100_000, batch: 2, seqLen: 16 });
    const iterator = training[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    await session.close();
    // Every id this run could have made is gone from the engine, and so are its tensors.
    expect(tf.memory().numTensors).toBe(before);
    // The engine answers the next request at once: the 100,000-step run is not holding its queue.
    const next = await client.request('memory', {});
    expect(next.numTensors).toBe(before);
    const train = answered.find((a) => a.type === 'train')!.result as {
      cancelled: boolean;
      runs: { stepsDone: number }[];
    };
    expect(train.cancelled).toBe(true);
    expect(train.runs[0]!.stepsDone).toBeLessThan(100_000);
    expect(answered.at(-1)).toEqual({ type: 'forget', result: { freed: 2 } });
  });

  it('close() cancels a running generation', async () => {
    const { lab, session } = run();
    const before = tf.memory().numTensors;
    const model = await lab.load('e8-top2');
    const iterator = model.generate('The', { maxNewTokens: 60, temperature: 1 });
    await iterator.next();
    await session.close();
    expect(tf.memory().numTensors).toBe(before);
    const generated = answered.find((a) => a.type === 'generate')!.result as { cancelled: boolean; tokens: number };
    expect(generated.cancelled).toBe(true);
    expect(generated.tokens).toBeLessThan(60);
  });

  it('API_SOURCE declares what cells call, and type-checks a cell on its own', () => {
    for (const name of Object.keys(helpers)) expect(API_SOURCE).toContain(`declare const ${name}:`);
    expect(API_SOURCE).toContain('declare const lab: NotebookLab;');
    const check = (cell: string): string[] => {
      const files: Record<string, string> = { 'api.d.ts': API_SOURCE, 'cell.ts': `export {};\n${cell}` };
      const options: ts.CompilerOptions = {
        strict: true,
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts'],
        noEmit: true,
        module: ts.ModuleKind.ESNext,
      };
      const host = ts.createCompilerHost(options);
      const read = host.getSourceFile;
      host.getSourceFile = (name, language) =>
        name in files ? ts.createSourceFile(name, files[name]!, language) : read(name, language);
      const program = ts.createProgram(Object.keys(files), options, host);
      return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    };
    expect(
      check(
        `const model = await lab.load('e8-top2');\nconst r = await model.route('x', { k: 2 });\nconst n: number = r.layers[0]!.expertTokens[0]! + countParameters(presetById('dbrx').config).total;`,
      ),
    ).toEqual([]);
    expect(check(`const model = await lab.load('e8-top2');\nconst s: string = model.parameters().total;`)).toHaveLength(
      1,
    );
  });
});
