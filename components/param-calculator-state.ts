import { editableFields, fieldProblem } from '../models/accounting/config-edit.ts';
import { CALCULATOR_MODELS, calculatorModel, DEFAULT_MODEL_ID } from './calculator-models.ts';
import { integer, type Field, type Schema, truncate } from './url-state.ts';

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

const contextField = integer({ label: 'The context length', min: 1, max: CONTEXT_MAX, default: 32768 });
const batchField = integer({ label: 'The batch size', min: 1, max: BATCH_MAX, default: 1 });

/**
 * Why the reader's typed context or batch cannot be used, or null: the same bounds the link is read with,
 * so every view the widget writes into the link reads back unchanged.
 */
export function kvInputProblem(key: 'context' | 'batch', value: number): string | null {
  return (key === 'context' ? contextField : batchField).check(value);
}

const modelField: Field<string> = {
  default: DEFAULT_MODEL_ID,
  parse(raw) {
    if (calculatorModel(raw)) return { ok: true, value: raw };
    return {
      ok: false,
      problem: `The model "${truncate(raw)}" is not one the calculator knows; it knows ${CALCULATOR_MODELS.map((m) => m.id).join(', ')}.`,
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
          problem: `The edited numbers must look like "num_experts_per_tok:4,hidden_size:2048"; the link had "${truncate(raw)}".`,
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
    context: contextField,
    batch: batchField,
  },
  // An edit only makes sense for a field the chosen architecture has, and within that field's bounds (the
  // same check the widget's inputs use, models/config-edit.ts's fieldProblem).
  reconcile(state) {
    const fields = editableFields(calculatorModel(state.model)?.config);
    const problems: string[] = [];
    const edits: Record<string, number> = {};
    const unknown: string[] = [];
    for (const [path, value] of Object.entries(state.edits)) {
      const spec = fields.find((f) => f.path === path);
      const problem = spec ? fieldProblem(spec, value) : null;
      if (!spec) unknown.push(path);
      else if (problem) problems.push(`${problem} The link's edit is left out.`);
      else edits[path] = value;
    }
    if (unknown.length > 0) {
      problems.unshift(
        `${state.model} has no editable ${unknown.map((p) => truncate(p)).join(', ')}, so the link's edit to it is left out.`,
      );
    }
    return { state: problems.length === 0 ? state : { ...state, edits }, problems };
  },
};
