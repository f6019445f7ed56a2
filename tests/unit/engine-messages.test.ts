// What the engine says when a backend or a download fails: a sentence the reader can act on, never a bare
// "Failed to fetch" or "No TensorFlow.js backend could start" while another backend runs.
import { describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { fallbackNote } from '../../components/engine-client.ts';
import { Engine } from '../../models/engine/engine.ts';
import { networkFailure } from '../../models/engine/host.ts';

describe('backend fallback', () => {
  it('names the backend that could not start and the one that runs', () => {
    expect(fallbackNote('webgpu', 'webgl', 'no adapter')).toBe(
      'WebGPU is not available here: running on WebGL. (no adapter)',
    );
  });
});

describe('a download that fails', () => {
  it('offline: says so, and that this checkpoint was never downloaded', () => {
    const message = networkFailure(new TypeError('Failed to fetch'), false);
    expect(message).toMatch(/^You are offline, and this checkpoint has not been downloaded yet/);
    expect(message).toMatch(/Reconnect and press Retry/);
    expect(message).not.toMatch(/Failed to fetch/);
  });

  it('online: keeps the browser’s reason and says what to try', () => {
    expect(networkFailure(new TypeError('Failed to fetch'), true)).toBe(
      'The download failed (Failed to fetch). Check the connection and press Retry; if you are offline, this checkpoint has not been downloaded yet.',
    );
  });

  it('the engine names the checkpoint and the file it was loading', async () => {
    const engine = new Engine({
      inWorker: false,
      fetchFile: () => Promise.reject(new Error(networkFailure(new TypeError('Failed to fetch'), false))),
    });
    await setupNodeBackend('cpu'); // registers gradients the Node way; then the engine's own init
    await engine.init('cpu');
    const context = { progress: () => {}, token: () => {}, benchRow: () => {}, cancelled: () => false };
    await expect(
      engine.load({ id: 'e16-top2', files: { 'config.json': 'https://x/config.json' } }, context),
    ).rejects.toThrow(/^Could not load the checkpoint "e16-top2" \(config\.json\): You are offline/);
  });
});
