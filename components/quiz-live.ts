// Live quiz answers: measured, when the reader checks, with the code the lesson's widget runs on the
// same inputs, so the answer is whatever the model computes here and now, never a stored number.
import type { LiveMeasure } from '../site/lib/quiz-schema.ts';
import { firstExperts, moeForward, randomMoEParams } from '../models/moe/gate.ts';
import { countParameters } from '../models/accounting/params.ts';
import { applyEdits } from '../models/accounting/config-edit.ts';
import { SWEEP } from '../models/accounting/bench-cases.ts';
import { GATE_LAYER, gateSchema } from './gate-state.ts';
import { calculatorModel } from './calculator-models.ts';
import { checkpointById } from './checkpoint-catalog.ts';
import type { BackendChoice } from './backends.ts';
import { routerSchema } from './router-state.ts';
import { sparseBenchSchema } from './sparse-bench-state.ts';
import { defaults, readPageState } from './url-state.ts';
import { privateEngine, type EngineClient } from './engine-client.ts';
import { argmaxAll } from './quiz-check.ts';
import { expertChoiceCapacity } from '../models/moe/expert-choice-capacity.ts';
import { variantsSchema, VARIANTS_PASSAGE } from './after-mixtral-state.ts';
import { laneFacts, raceRuns } from './race-recipes.ts';
import { VOCAB } from './race-runs.ts';
import { raceSchema } from './race-state.ts';
import { capacitySchema } from './capacity-state.ts';
import { capacityPassage } from './capacity-passage.ts';
import { specialiseSchema } from './specialise-state.ts';
import { TEST_DATA } from './analysis-sources.ts';
import { commInputFor } from './costs-models.ts';
import { communicationPerToken } from '../models/accounting/communication.ts';

export interface Measured {
  /** Every value that counts as right (more than one when experts tie). */
  accepted: number[];
  /** The answer as the explanation shows it. */
  shown: string;
  /** What was measured, in a sentence, e.g. which token the router saw. */
  detail: string;
}

let engine: Promise<EngineClient> | null = null;
/** The checkpoint the quiz's engine holds, so checking again does not load it again. */
let loadedCheckpoint = '';
/** Its context (max_position_embeddings), from the load report. */
let loadedContext = 0;

/** The quiz's engine, started on the backend the lesson's widget uses, so both compute alike. */
function quizEngine(backend: BackendChoice): Promise<EngineClient> {
  engine ??= privateEngine().then(async (client) => {
    // Like the widget: the reader's choice if it starts here, else the best backend that does.
    await client.request('init', { backend }).catch(() => client.request('init', { backend: 'auto' }));
    return client;
  });
  // A start that failed may succeed on the next check (a worker that could not load offline, say).
  engine.catch(() => {
    engine = null;
    loadedCheckpoint = '';
    loadedContext = 0;
  });
  return engine;
}

export async function measureLive(m: LiveMeasure): Promise<Measured> {
  switch (m.measure) {
    case 'gate-top-expert': {
      const layer = randomMoEParams({
        numExperts: GATE_LAYER.maxExperts,
        dModel: GATE_LAYER.dModel,
        dHidden: GATE_LAYER.dHidden,
        seed: GATE_LAYER.seed,
        scale: GATE_LAYER.scale,
      });
      const trace = moeForward(firstExperts(layer, m.n), defaults(gateSchema).x, m.k);
      const best = argmaxAll(trace.weights).map((i) => i + 1);
      return {
        accepted: best,
        shown: best.map((e) => `E${e}`).join(' or '),
        detail: `Gate weights at N = ${m.n}, K = ${m.k}: ${trace.weights.map((w, i) => `E${i + 1} ${w.toFixed(2)}`).join(', ')}.`,
      };
    }
    case 'calculator-active-params': {
      const model = calculatorModel(m.model);
      if (!model) throw new Error(`The calculator has no model "${m.model}".`);
      const report = countParameters(applyEdits(model.config, m.edits));
      const billions = report.active / 1e9;
      return {
        accepted: [billions],
        shown: `${billions.toFixed(2)} billion`,
        detail: `${model.name}: ${report.active.toLocaleString('en-US')} active of ${report.total.toLocaleString('en-US')} parameters.`,
      };
    }
    case 'router-first-choice': {
      const checkpoint = checkpointById(m.checkpoint);
      if (!checkpoint) throw new Error(`No checkpoint "${m.checkpoint}" was built with this site.`);
      const client = await quizEngine(readPageState(routerSchema).state.backend);
      if (loadedCheckpoint !== checkpoint.id) {
        loadedCheckpoint = '';
        loadedContext = (await client.request('load', { checkpoint })).contextSize;
        loadedCheckpoint = checkpoint.id;
      }
      const routed = await client.request('route', { text: defaults(routerSchema).text, topK: m.k });
      const layer = routed.layers[m.layer - 1];
      const token = routed.tokens[m.token - 1];
      if (!layer || !token) throw new Error(`The model has no layer ${m.layer} or token ${m.token} for this text.`);
      const expert = (layer.expertIndex[(m.token - 1) * m.k] ?? -1) + 1;
      return {
        accepted: [expert],
        shown: `expert ${expert}`,
        detail: `Token ${m.token} is “${token.text}”; layer ${m.layer} of ${m.checkpoint} ranks expert ${expert} first at K = ${m.k}.`,
      };
    }
    case 'after-mixtral-expert-capacity': {
      // The passage's tokens as the widget's models see them: routed by a shipped checkpoint of the same tokenizer.
      const checkpoint = checkpointById('e8-top2');
      if (!checkpoint) throw new Error('The e8-top2 checkpoint was not built with this site.');
      const client = await quizEngine(readPageState(variantsSchema).state.backend);
      if (loadedCheckpoint !== checkpoint.id) {
        loadedCheckpoint = '';
        await client.request('load', { checkpoint });
        loadedCheckpoint = checkpoint.id;
      }
      const routed = await client.request('route', { text: VARIANTS_PASSAGE, topK: 2 });
      const tokens = routed.tokens.length;
      const c = expertChoiceCapacity(tokens, m.factor, m.numExperts);
      return {
        accepted: [c],
        shown: `${c} tokens`,
        detail: `The passage is ${tokens} tokens (its leading end-of-text included); ⌈${tokens} · ${m.factor} / ${m.numExperts}⌉ = ${c}.`,
      };
    }
    case 'do-experts-specialise-repetition': {
      const checkpoint = checkpointById(m.checkpoint);
      if (!checkpoint) throw new Error(`No checkpoint "${m.checkpoint}" was built with this site.`);
      const client = await quizEngine(readPageState(specialiseSchema).state.backend);
      if (loadedCheckpoint !== checkpoint.id) {
        loadedCheckpoint = '';
        await client.request('load', { checkpoint });
        loadedCheckpoint = checkpoint.id;
      }
      const result = await client.request('analyzeRouting', {
        data: TEST_DATA,
        topK: m.k,
        windowsPerDoc: m.windowsPerDoc,
      });
      const rep = result.analysis.repetition.overall[m.layer - 1];
      if (!rep) throw new Error(`The model has no layer ${m.layer}.`);
      const percent = 100 * rep.firstChoice;
      return {
        accepted: [percent],
        shown: `${percent.toFixed(1)}%`,
        detail: `Measured now on ${result.windows} test windows: ${rep.pairs.toLocaleString('en-US')} consecutive pairs in layer ${m.layer} of ${m.checkpoint} at K = ${m.k}; chance is ${(100 * result.analysis.repetition.random.firstChoice).toFixed(1)}%.`,
      };
    }
    case 'the-costs-comm-kb': {
      const input = commInputFor(m.model, m.k, m.bytesPerElement, m.capacityFactor);
      const kb = communicationPerToken(input).bytesPerTokenPerLayer / 1e3;
      return {
        accepted: [kb],
        shown: `${kb.toFixed(2)} kB`,
        detail: `2 directions × ${m.k} slot${m.k === 1 ? '' : 's'}${m.capacityFactor ? ` × capacity factor ${m.capacityFactor}` : ''} × hidden ${input.dModel} × ${m.bytesPerElement} bytes.`,
      };
    }
    case 'bench-peak-mb': {
      const client = await quizEngine(readPageState(sparseBenchSchema).state.backend);
      const { results } = await client.request('benchmark', {
        cases: [
          {
            numExperts: m.numExperts,
            topK: m.topK,
            tokens: m.tokens,
            dModel: SWEEP.dModel,
            dHidden: SWEEP.dHidden,
            reps: 1,
            warmup: 0,
            backward: false,
          },
        ],
      });
      const peak = results[0]?.[m.implementation].peakBytes;
      if (peak === undefined) throw new Error('The benchmark returned no result.');
      const mb = peak / 1e6;
      return {
        accepted: [mb],
        shown: `${mb.toFixed(1)} MB`,
        detail: `Measured on this machine: one forward pass of ${m.tokens} tokens at N = ${m.numExperts}, K = ${m.topK}.`,
      };
    }
    case 'race-train-gflops': {
      if (m.k > m.experts) throw new Error(`K (${m.k}) cannot exceed N (${m.experts}).`);
      const race = { ...defaults(raceSchema), experts: m.experts, topK: m.k, equalTotal: true };
      const lane = raceRuns(race).find((r) => r.id === m.lane);
      if (!lane) throw new Error(`The race has no lane "${m.lane}".`);
      const gflops = laneFacts(lane.run, VOCAB).trainFlopsPerStep / 1e9;
      return {
        accepted: [gflops],
        shown: `${gflops.toFixed(2)} GFLOPs`,
        detail: `The race's ${m.lane} lane at N = ${m.experts}, K = ${m.k}: ${lane.run.batch} × ${lane.run.seqLen} tokens per step, about 3 × its forward FLOPs each.`,
      };
    }
    case 'capacity-dropped': {
      const checkpoint = checkpointById(m.checkpoint);
      if (!checkpoint) throw new Error(`No checkpoint "${m.checkpoint}" was built with this site.`);
      const client = await quizEngine(readPageState(capacitySchema).state.backend);
      if (loadedCheckpoint !== checkpoint.id) {
        loadedCheckpoint = '';
        loadedContext = (await client.request('load', { checkpoint })).contextSize;
        loadedCheckpoint = checkpoint.id;
      }
      const routed = await client.request('route', {
        text: await capacityPassage(client, checkpoint.trainedTopK, loadedContext),
        topK: checkpoint.trainedTopK,
        capacityFactor: m.factor,
      });
      const layer = routed.layers[m.layer - 1];
      if (!layer) throw new Error(`The model has no layer ${m.layer}.`);
      const dropped = (layer.dropped ?? []).reduce((a, b) => a + b, 0);
      return {
        accepted: [dropped],
        shown: `${dropped} choices`,
        detail: `${routed.tokens.length} tokens × K = ${routed.topK} choices; layer ${m.layer} of ${m.checkpoint} at capacity factor ${m.factor}.`,
      };
    }
  }
}
