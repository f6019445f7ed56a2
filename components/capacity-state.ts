// Lesson 6's inference view, shareable as a link: ?capacity.checkpoint=e8-top2&capacity.factor=1 routes the
// held-out passage through a shipped checkpoint with each expert's capacity at ⌈1 · tokens · K / N⌉.
import { BACKEND_CHOICES, type BackendChoice } from './backends.ts';
import { CAPACITY_CHOICES, type CapacityChoice } from './balance-recipe.ts';
import { CHECKPOINTS } from './checkpoint-catalog.ts';
import { choiceField } from './race-state.ts';
import type { Schema } from './url-state.ts';

/** Only checkpoints with experts can overflow one. */
export const MOE_CHECKPOINTS = CHECKPOINTS.filter((c) => c.numExperts > 1).map((c) => c.id);

export interface CapacityState {
  checkpoint: string;
  factor: CapacityChoice;
  backend: BackendChoice;
}

export const capacitySchema: Schema<CapacityState> = {
  prefix: 'capacity',
  fields: {
    checkpoint: choiceField(
      'The checkpoint',
      MOE_CHECKPOINTS,
      MOE_CHECKPOINTS.includes('e8-top2') ? 'e8-top2' : MOE_CHECKPOINTS[0]!,
    ),
    factor: choiceField('The capacity factor', CAPACITY_CHOICES, '1'),
    // WebAssembly, as the training widget on the same page uses: the page shares one engine (engine-client.ts).
    backend: choiceField('The backend', BACKEND_CHOICES, 'wasm'),
  },
};

/** The factor as the engine takes it: a number, or null for dropless. */
export const factorValue = (choice: CapacityChoice): number | null => (choice === 'none' ? null : Number(choice));
