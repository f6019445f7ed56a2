// The passage lesson 6's inference view routes: the held-out text cut to one context of the model (its first
// 63 tokens after <|endoftext|>), so that one capacity ⌈factor · tokens · K / N⌉ covers the whole passage and the
// loss is measured on exactly the tokens shown. Cut by the model's own tokens, as the engine returns them.
import type { EngineClient } from './engine-client.ts';
import samples from '../models/checkpoints/samples.json';

/** The held-out text's first `context - 1` tokens, as text (the engine adds <|endoftext|> in front). */
export async function capacityPassage(client: EngineClient, topK: number, context: number): Promise<string> {
  const routed = await client.request('route', { text: samples.heldOut.text, topK });
  return routed.tokens
    .slice(1, context)
    .map((t) => t.text)
    .join('');
}
