// The cost calculators against numbers worked out by hand from Mixtral 8x7B's config.json
// (hidden 4096, intermediate 14336, 32 layers, 8 experts, top-2; 46,702,792,704 parameters).
import { describe, expect, it } from 'vitest';
import { communicationPerToken, trainingStepTiming } from '../../models/accounting/communication.ts';
import { largestFit, offloadCost } from '../../models/accounting/offload.ts';
import { LINKS } from '../../models/accounting/hardware.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import mixtral from '../../models/accounting/presets/mixtral-8x7b.json' with { type: 'json' };

const size = { dModel: 4096, dHidden: 14336, numExperts: 8, topK: 2, numLayers: 32, bytesPerElement: 2 };

describe('communicationPerToken', () => {
  it('sends 2 directions × K × hidden × bytes per token per layer: 2 × 2 × 4096 × 2 for Mixtral 8x7B in bf16', () => {
    const c = communicationPerToken({ ...size, capacityFactor: null });
    expect(c.bytesPerTokenPerLayer).toBe(32_768);
    expect(c.bytesPerTokenForward).toBe(32_768 * 32);
    expect(c.bytesPerTokenTraining).toBe(2 * 32_768 * 32);
    // Router 2·d·N plus two SwiGLU experts 2·K·3·d·h, by hand.
    expect(c.flopsPerTokenPerLayer).toBe(2 * 4096 * 8 + 2 * 2 * 3 * 4096 * 14336);
  });
  it('pads by the capacity factor, and refuses K > N', () => {
    expect(communicationPerToken({ ...size, capacityFactor: 1.25 }).bytesPerTokenPerLayer).toBe(40_960);
    expect(() => communicationPerToken({ ...size, topK: 9, capacityFactor: null })).toThrow(/cannot exceed/);
  });
  it('times a step: bytes leave the device (D−1)/D of the time', () => {
    const t = trainingStepTiming({ ...size, capacityFactor: null }, 4096, 8, 50e9, 989.4e12);
    expect(t.bytes).toBeCloseTo(2 * 32_768 * 32 * 4096 * (7 / 8), 3);
    expect(t.networkSeconds).toBeCloseTo(t.bytes / 50e9, 12);
    expect(t.networkBound).toBe(t.networkSeconds > t.computeSeconds);
    expect(() => trainingStepTiming({ ...size, capacityFactor: null }, 4096, 1, 50e9, 1e15)).toThrow(/2 to 100,000/);
  });
});

describe('largestFit and offloadCost', () => {
  const config = parseMixtralConfig(mixtral);
  it('fits 6 experts per layer in 80 GB and 12 in 141 GB at bf16', () => {
    // One more expert per layer: 32 × (3·4096·14336 + 4096) = 5,637,275,648 parameters.
    const fit = largestFit(config, 80e9, 2);
    expect(fit.bytesPerExpertAllLayers).toBe(2 * 5_637_275_648);
    expect(fit.sharedBytes).toBe(2 * (46_702_792_704 - 8 * 5_637_275_648));
    expect(fit.maxExperts).toBe(6);
    expect(largestFit(config, 141e9, 2).maxExperts).toBe(12);
  });
  it('copies layers × K experts per token when the experts live in CPU RAM', () => {
    const pcie4 = LINKS.find((l) => l.id === 'pcie4')!;
    expect(pcie4.bytesPerSecond).toBeCloseTo(31.5e9, -8);
    const cost = offloadCost(config, 2, pcie4.bytesPerSecond);
    expect(cost.bytesPerToken).toBe(32 * 2 * 3 * 4096 * 14336 * 2);
    expect(cost.secondsPerToken).toBeCloseTo(0.716, 3);
  });
});

describe('moeShapeOfConfig', () => {
  it('reads Mixtral, DeepSeek-V3 (routed experts, MoE layers only) and a dense Mistral', async () => {
    const { moeShapeOfConfig } = await import('../../models/accounting/communication.ts');
    const deepseek = (await import('../../models/accounting/presets/deepseek-v3.json', { with: { type: 'json' } }))
      .default;
    const mistral = (await import('../../models/accounting/presets/mistral-7b.json', { with: { type: 'json' } }))
      .default;
    expect(moeShapeOfConfig(mixtral)).toEqual({ dModel: 4096, dHidden: 14336, numExperts: 8, topK: 2, numLayers: 32 });
    expect(moeShapeOfConfig(deepseek)).toEqual({
      dModel: 7168,
      dHidden: 2048,
      numExperts: 256,
      topK: 8,
      numLayers: 58,
    });
    expect(moeShapeOfConfig(mistral)).toMatchObject({ numExperts: 1, topK: 1 });
    expect(moeShapeOfConfig({ model_type: 'dbrx' })).toBeNull();
  });
});
