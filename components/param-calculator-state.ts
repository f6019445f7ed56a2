import { editableFields } from '../models/accounting/config-edit.ts';
import { CALCULATOR_MODELS, calculatorModel, DEFAULT_MODEL_ID } from './calculator-models.ts';
import { integer, type Field, type Schema } from './url-state.ts';

/**
 * The parameter calculator's view, as it appears in the page link: which model, which of its numbers the
 * reader changed, and the context and batch for the KV cache. A pasted config is not part of it (it can be
 * kilobytes long); the widget says so.
 */
export interface ParamCalculatorState {
  /** A CALCULATOR_MODELS id. */
  model: string;
  /** Edited numbers by config path (`num_experts_per_tok`, `ffn_config.moe_top_k`). */
  edits: Record<string, number>;
  /** Tokens per sequence for the KV cache. */
  context: number;
  /** Sequences decoded together. */
  batch: number;
}

export const CONTEXT_MAX = 10_000_000;
export const BATCH_MAX = 4096;

const modelField: Field<string> = {
  default: DEFAULT_MODEL_ID,
  parse(raw) {
    if (calculatorModel(raw)) return { ok: true, value: raw };
    return {
      ok: false,
      problem: `The model "${raw}" is not one the calculator knows; it knows ${CALCULATOR_MODELS.map((m) => m.id).join(', ')}.`,
    };
  },
  format: (value) => value,
};

/** `path:value` pairs joined by commas: `num_experts_per_tok:4,hidden_size:2048`. */
const editsField: Field<Record<string, number>> = {
  default: {},
  parse(raw) {
    const edits: Record<string, number> = {};
    for (const part of raw.split(',').filter((p) => p !== '')) {
      const match = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?):(\d+)$/.exec(part);
      if (!match) {
        return {
          ok: false,
          problem: `The edited numbers must look like "num_experts_per_tok:4,hidden_size:2048"; the link had "${raw}".`,
        };
      }
      edits[match[1]!] = Number(match[2]);
    }
    return { ok: true, value: edits };
  },
  format: (edits) =>
    Object.entries(edits)
      .map(([path, value]) => `${path}:${value}`)
      .join(','),
};

export const paramCalculatorSchema: Schema<ParamCalculatorState> = {
  prefix: 'calc',
  fields: {
    model: modelField,
    edits: editsField,
    context: integer({ label: 'The context length', min: 1, max: CONTEXT_MAX, default: 32768 }),
    batch: integer({ label: 'The batch size', min: 1, max: BATCH_MAX, default: 1 }),
  },
  // An edit only makes sense for a field the chosen architecture has.
  reconcile(state) {
    const paths = new Set(editableFields(calculatorModel(state.model)?.config).map((f) => f.path));
    const unknown = Object.keys(state.edits).filter((p) => !paths.has(p));
    if (unknown.length === 0) return { state, problems: [] };
    const edits = Object.fromEntries(Object.entries(state.edits).filter(([p]) => paths.has(p)));
    return {
      state: { ...state, edits },
      problems: [`${state.model} has no editable ${unknown.join(', ')}, so the link's edit to it is left out.`],
    };
  },
};
