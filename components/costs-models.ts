// The configs lesson 8's calculators offer: every model of the parameter calculator whose routed-expert
// shape models/accounting/communication.ts can read, our checkpoints included.
import { moeShapeOfConfig, type CommunicationInput, type MoeShape } from '../models/accounting/communication.ts';
import { CALCULATOR_MODELS } from './calculator-models.ts';

export interface CostModel {
  id: string;
  name: string;
  shape: MoeShape;
}

export const COST_MODELS: readonly CostModel[] = CALCULATOR_MODELS.flatMap((m) => {
  const shape = moeShapeOfConfig(m.config);
  return shape ? [{ id: m.id, name: m.name, shape }] : [];
});

export function costModel(id: string): CostModel | undefined {
  return COST_MODELS.find((m) => m.id === id);
}

/** The calculator's input for a model at the reader's K, precision and capacity factor. */
export function commInputFor(
  id: string,
  k: number,
  bytesPerElement: number,
  capacityFactor: number | null,
): CommunicationInput {
  const model = costModel(id);
  if (!model) throw new Error(`The calculator has no model "${id}".`);
  return { ...model.shape, topK: Math.min(k, model.shape.numExperts), bytesPerElement, capacityFactor };
}
