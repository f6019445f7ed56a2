// Lesson 6's training widget, shareable as a link: ?balance.alpha=0&balance.capacity=1.25&balance.z=1&balance.bias=0
// trains the e8-top2 recipe without the balancing loss, with token dropping. Settings only.
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { CAPACITY_CHOICES, type CapacityChoice } from './balance-recipe.ts';
import { booleanField, choiceField } from './race-state.ts';
import type { Schema } from './url-state.ts';

/** α from none to five times Mixtral's 0.02 (the range, 0 … 0.1). */
export const ALPHA_CHOICES = [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1] as const;
/** Steps a reader can wait for: with α = 0 the collapse comes within the first 20 (README). */
export const BALANCE_STEP_CHOICES = [50, 100, 150, 300] as const;

export interface BalanceState {
  alpha: number;
  capacity: CapacityChoice;
  z: boolean;
  bias: boolean;
  steps: number;
  backend: BackendChoice;
}

export const balanceSchema: Schema<BalanceState> = {
  prefix: 'balance',
  fields: {
    alpha: choiceField('The load-balancing coefficient α', ALPHA_CHOICES, 0.02),
    capacity: choiceField('The capacity factor', CAPACITY_CHOICES, 'none'),
    z: booleanField('The router z-loss', true),
    bias: booleanField('Bias balancing', false),
    steps: choiceField('The number of steps', BALANCE_STEP_CHOICES, 150),
    backend: choiceField('The backend', BACKEND_CHOICES, 'wasm'),
  },
};
