import { describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';

describe('useBackend', () => {
  it('names the package of a convkit backend that is not registered, and the backends there are for any other name', async () => {
    await expect(useBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' is not registered; .*import '@convkit\/backend-tfjs-node'$/);
    await expect(useBackend('cuda')).rejects.toThrow(/import '@convkit\/backend-cuda'$/);
    await expect(useBackend('nosuch')).rejects.toThrow(/convkit's backends are cpu, wasm, onednn, webgl, webgpu, cuda, tensorflow$/);
  });
});
