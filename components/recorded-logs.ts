// The shipped family's full training logs (models/checkpoints/*/train-log.jsonl and training.json), as lesson 5
// draws them beside the live race: loss against tokens and against the run's own seconds. The logs are fetched
// only when the figure asks (hashed URLs, 0.6 MB in all); their commands and figures are bundled (small JSON).

interface TrainingJson {
  command: string;
  batch: number;
  seq: number;
  steps: number;
  wallSeconds: number;
  finalValLoss: number;
  parameters: { total: number; active: number };
}

const logUrls = import.meta.glob<string>('../models/checkpoints/*/train-log.jsonl', {
  query: '?url',
  import: 'default',
  eager: true,
});
const trainings = import.meta.glob<TrainingJson>('../models/checkpoints/*/training.json', {
  import: 'default',
  eager: true,
});

const idOf = (path: string): string => path.split('/').at(-2)!;

export interface RecordedRun {
  id: string;
  training: TrainingJson;
  url: string;
}

/** Dense first, then by experts, then top-1 after its top-2 sibling (as checkpoint-catalog.ts orders them). */
const ORDER = ['dense', 'e4-top2', 'e8-top2', 'e16-top2', 'e8-top1'];

export const RECORDED: RecordedRun[] = Object.entries(trainings)
  .map(([path, training]) => ({
    id: idOf(path),
    training,
    url: logUrls[path.replace('training.json', 'train-log.jsonl')]!,
  }))
  .filter((r) => r.url !== undefined)
  .sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));

export interface RecordedPoint {
  step: number;
  tokens: number;
  /** Seconds of training up to this step: the sum of the logged ms per step. */
  seconds: number;
  /** Mean training loss of the last `every` steps. */
  loss: number;
}

export interface RecordedCurve {
  id: string;
  points: RecordedPoint[];
  /** Validation losses the run logged: [step, tokens, loss]. */
  val: { step: number; tokens: number; loss: number }[];
}

/**
 * Reads a train-log.jsonl: one line per step ({step, loss, ms, …}) and one per evaluation ({step, valLoss}),
 * reduced to a point every `every` steps (the mean of those steps) so five 1,500-step runs draw quickly.
 */
export function parseTrainLog(id: string, text: string, tokensPerStep: number, every = 10): RecordedCurve {
  const points: RecordedPoint[] = [];
  const val: RecordedCurve['val'] = [];
  let ms = 0;
  let bucket: number[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { step: number; loss?: number; ms?: number; valLoss?: number };
    if (typeof row.valLoss === 'number') {
      val.push({ step: row.step, tokens: row.step * tokensPerStep, loss: row.valLoss });
      continue;
    }
    if (typeof row.loss !== 'number' || typeof row.ms !== 'number') continue;
    ms += row.ms;
    bucket.push(row.loss);
    // Logged steps count from 0: step s ends with s + 1 steps done.
    const done = row.step + 1;
    if (bucket.length === every) {
      const loss = bucket.reduce((a, b) => a + b, 0) / bucket.length;
      points.push({ step: done, tokens: done * tokensPerStep, seconds: ms / 1000, loss });
      bucket = [];
    }
  }
  return { id, points, val };
}

/** Fetches and reads every shipped log. */
export async function loadRecorded(): Promise<RecordedCurve[]> {
  return Promise.all(
    RECORDED.map(async (r) => {
      const response = await fetch(r.url);
      if (!response.ok) throw new Error(`The training log of ${r.id} could not be fetched (HTTP ${response.status}).`);
      return parseTrainLog(r.id, await response.text(), r.training.batch * r.training.seq);
    }),
  );
}
