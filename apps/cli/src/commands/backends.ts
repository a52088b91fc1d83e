import { availableBackends } from '@convkit/core';

export async function backendsCommand(options: { json?: boolean }): Promise<void> {
  const backends = await availableBackends();
  if (options.json) {
    console.log(JSON.stringify(backends, null, 2));
    return;
  }
  for (const [i, b] of backends.entries()) {
    const note = b.available ? (i === backends.findIndex((x) => x.available) ? 'available (default)' : 'available') : `unavailable: ${b.reason}`;
    console.log(`${b.name.padEnd(8)} ${note}`);
  }
}
