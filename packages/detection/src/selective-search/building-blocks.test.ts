import { describe, expect, it } from 'vitest';
import { argsort, expCorrectlyRounded, pairwiseSum } from './numpy-float64.js';
import { glibcRand } from './selective-search.js';
import { stdSort } from './std-sort.js';

/** Tied keys, and the orders numpy 1.24's argsort and g++ 12's std::sort leave them in (run on this machine). */
const KEYS = [0.5, 0.5, 2.5, 1.5, 0.5, 1.5, 1.5, 0.5, 2, 0.5, 1, 1.5, 1.5, 2, 2, 3, 1, 2, 2, 1, 0, 3, 1, 1, 2.5, 2, 1.5, 2.5, 0, 2, 1, 0.5, 2, 3, 0.5, 2, 1, 2, 2, 0.5];
const NUMPY_ARGSORT = [28, 20, 0, 34, 31, 9, 7, 39, 1, 4, 23, 36, 30, 22, 16, 19, 10, 5, 12, 6, 11, 26, 3, 14, 37, 35, 32, 29, 8, 25, 13, 38, 18, 17, 24, 2, 27, 21, 33, 15];
const STD_SORT = [28, 20, 39, 0, 34, 31, 9, 1, 4, 7, 23, 36, 30, 22, 19, 16, 10, 6, 5, 12, 3, 26, 11, 8, 38, 37, 35, 32, 29, 25, 13, 14, 18, 17, 27, 24, 2, 33, 21, 15];

describe('reproduced library routines', () => {
  it("argsort leaves ties where numpy's introsort does, and sorts", () => {
    expect(Array.from(argsort(KEYS))).toEqual(NUMPY_ARGSORT);
    const random = Float64Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 613) / 7);
    const order = argsort(random);
    for (let i = 1; i < order.length; i++) expect(random[order[i]!]!).toBeGreaterThanOrEqual(random[order[i - 1]!]!);
    expect(Array.from(argsort([NaN, 1, -Infinity, 0]))).toEqual([2, 3, 1, 0]);
  });

  it("stdSort leaves ties where libstdc++'s std::sort does", () => {
    const ids = KEYS.map((_, i) => i);
    expect(stdSort(ids, (a, b) => KEYS[a]! < KEYS[b]!)).toEqual(STD_SORT);
    // 300 keys (300 - i) % 7: g++'s order hashed as h = (h * 31 + id) mod 1e9+7.
    const many = Array.from({ length: 300 }, (_, i) => i);
    stdSort(many, (a, b) => (300 - a) % 7 < (300 - b) % 7);
    expect(many.reduce((h, id) => (h * 31 + id) % 1000000007, 0)).toBe(530244758);
  });

  it('exp rounds as glibc and numpy do where Math.exp does not, and sums as np.sum', () => {
    expect([-7.03125, -3.125, -0.78125, -2, -12.5].map(expCorrectlyRounded)).toEqual([
      0.00088382630693505, 0.04393693362340742, 0.45783336177161427, 0.1353352832366127, 3.726653172078671e-6,
    ]);
    // np.sum's eight accumulators lose the 1 added to 1e16 and end at 5.0, as numpy does.
    expect(pairwiseSum([1e16, 1, -1e16, 1, 1, 1, 1, 1, 1])).toBe(5);
    // V8's Math.exp is an ulp off for about one argument in ten; glibc's (numpy's) exp is not.
    expect(Math.exp(-0.3298)).not.toBe(0.7190675325580459);
    expect([-0.3298, -0.3983, -0.5764].map(expCorrectlyRounded)).toEqual([0.7190675325580459, 0.6714605592754802, 0.5619176331841437]);
  });

  it("glibcRand gives glibc's rand() after srand(1)", () => {
    const rand = glibcRand(1);
    expect([rand(), rand(), rand()]).toEqual([1804289383, 846930886, 1681692777]);
  });
});
