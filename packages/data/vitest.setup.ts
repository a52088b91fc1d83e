import { afterEach } from 'vitest';

// Whole-network tests are long synchronous stretches; awaiting only microtasks between them would starve
// the worker's RPC to the vitest main process, which then times out ("Timeout calling onTaskUpdate").
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
