import { availableBackends } from '@convkit/core';
import { BACKENDS_ELSEWHERE } from '../setup.js';

/** Every backend convkit has: those this CLI registers, whether each runs here and why not, then the rest. */
export async function backendsCommand(options: { json?: boolean }): Promise<void> {
  const registered = await availableBackends();
  const others = [...BACKENDS_ELSEWHERE].filter(([name]) => !registered.some((b) => b.name === name)).map(([name, reason]) => ({ name, available: false, reason, inCli: false }));
  const backends = [...registered.map((b) => ({ ...b, inCli: true })), ...others];
  if (options.json) {
    console.log(JSON.stringify(backends, null, 2));
    return;
  }
  const best = backends.findIndex((x) => x.available);
  for (const [i, b] of backends.entries()) {
    const note = b.available ? (i === best ? 'available (default)' : 'available') : `unavailable: ${b.reason}`;
    console.log(`${b.name.padEnd(10)} ${note}`);
  }
}
