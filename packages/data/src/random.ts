import seedrandom from 'seedrandom';

/** A seeded source of uniform numbers in [0, 1); the same seed gives the same sequence on every machine. */
export interface Random {
  (): number;
}

/**
 * Alea (seedrandom's fast, well-tested generator). The loader seeds one per sample from (seed, epoch,
 * index), so a sample's augmentation does not depend on which worker drew it or in what order.
 */
export function seededRandom(...seed: number[]): Random {
  return seedrandom.alea(seed.join(':'));
}

/** Uniform in [low, high). */
export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/** An integer in [low, high), as torch.randint(low, high). */
export function randomInt(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low));
}

/** Fisher-Yates: a permutation of 0 .. n - 1. */
export function permutation(n: number, random: Random): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
