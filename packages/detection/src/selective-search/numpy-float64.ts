/**
 * numpy 1.24's float64 routines that scikit-image's felzenszwalb depends on, reproduced bit for bit so
 * that our segmentation can equal skimage's label for label: exp (numpy's agrees with a correctly
 * rounded exp where V8's Math.exp can be an ulp off), pairwise summation, and the introsort behind
 * np.argsort's default kind, whose order among equal costs decides which segments merge first.
 */

/** a + b as an unevaluated pair (hi, lo) with hi = fl(a + b). */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function split(a: number): [number, number] {
  const c = 134217729 * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

type DD = [number, number];

function ddAdd([ah, al]: DD, [bh, bl]: DD): DD {
  const [s, e] = twoSum(ah, bh);
  return twoSum(s, e + al + bl);
}

function ddMul([ah, al]: DD, [bh, bl]: DD): DD {
  const [p, e] = twoProd(ah, bh);
  return twoSum(p, e + ah * bl + al * bh);
}

function ddDivInt([ah, al]: DD, b: number): DD {
  const q = ah / b;
  const [p, e] = twoProd(q, b);
  return twoSum(q, (ah - p - e + al) / b);
}

const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];

/** exp(x) correctly rounded (double-double evaluation), for the moderate arguments of a Gaussian kernel. */
export function expCorrectlyRounded(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > 700) return Math.exp(x);
  const k = Math.round(x / LN2[0]);
  // r = (x - k ln2) / 1024, then exp(r) by Taylor series, squared ten times.
  let r = ddAdd([x, 0], ddMul([-k, 0], LN2));
  r = [r[0] / 1024, r[1] / 1024];
  let term: DD = [1, 0];
  let sum: DD = [1, 0];
  for (let i = 1; i <= 12; i++) {
    term = ddDivInt(ddMul(term, r), i);
    sum = ddAdd(sum, term);
  }
  for (let i = 0; i < 10; i++) sum = ddMul(sum, sum);
  return (sum[0] + sum[1]) * 2 ** k;
}

/** np.sum of a contiguous float64 array: numpy's pairwise summation with eight accumulators. */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[start + j]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** numpy's float comparison for sorting: NaN after everything. */
const less = (a: number, b: number) => a < b || (b !== b && a === a);

function heapArgsort(v: ArrayLike<number>, tosort: Int32Array, start: number, n: number): void {
  // 1-based heap indexing over tosort[start .. start + n - 1], as numpy's aheapsort_.
  const a = (i: number) => tosort[start + i - 1]!;
  const set = (i: number, value: number) => (tosort[start + i - 1] = value);
  const sift = (l: number, size: number, tmp: number) => {
    let i = l;
    let j = l << 1;
    while (j <= size) {
      if (j < size && less(v[a(j)]!, v[a(j + 1)]!)) j += 1;
      if (less(v[tmp]!, v[a(j)]!)) {
        set(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  };
  for (let l = n >> 1; l > 0; --l) sift(l, n, a(l));
  for (; n > 1; ) {
    const tmp = a(n);
    set(n, a(1));
    n -= 1;
    sift(1, n, tmp);
  }
}

/** np.argsort(v) with the default kind ('quicksort': numpy's introsort), including its order among ties. */
export function argsort(v: ArrayLike<number>): Int32Array {
  const num = v.length;
  const tosort = new Int32Array(num);
  for (let i = 0; i < num; i++) tosort[i] = i;
  if (num < 2) return tosort;
  const swap = (i: number, j: number) => {
    const t = tosort[i]!;
    tosort[i] = tosort[j]!;
    tosort[j] = t;
  };
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let cdepth = 2 * (31 - Math.clz32(num));
  for (;;) {
    if (cdepth < 0) {
      heapArgsort(v, tosort, pl, pr - pl + 1);
    } else {
      while (pr - pl > 15) {
        const pm = pl + ((pr - pl) >> 1);
        if (less(v[tosort[pm]!]!, v[tosort[pl]!]!)) swap(pm, pl);
        if (less(v[tosort[pr]!]!, v[tosort[pm]!]!)) swap(pr, pm);
        if (less(v[tosort[pm]!]!, v[tosort[pl]!]!)) swap(pm, pl);
        const vp = v[tosort[pm]!]!;
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi; while (less(v[tosort[pi]!]!, vp));
          do --pj; while (less(vp, v[tosort[pj]!]!));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = tosort[pi]!;
        const vv = v[vi]!;
        let pj = pi;
        while (pj > pl && less(vv, v[tosort[pj - 1]!]!)) {
          tosort[pj] = tosort[pj - 1]!;
          pj--;
        }
        tosort[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop()!;
    pl = stack.pop()!;
    cdepth = depths.pop()!;
  }
  return tosort;
}
