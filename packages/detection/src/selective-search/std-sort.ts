/**
 * libstdc++'s std::sort (introsort, median-of-three pivot, final insertion sort over blocks of 16),
 * reproduced step for step. It is not stable: OpenCV's selective search sorts edges, candidate merges and
 * ranked regions with it, and the order it leaves equal keys in decides which of two equally similar
 * pairs merges first. Reproducing it reproduces OpenCV's choices.
 */
export function stdSort<T>(a: T[], less: (x: T, y: T) => boolean): T[] {
  if (a.length > 1) {
    introsortLoop(a, 0, a.length, 2 * (31 - Math.clz32(a.length)), less);
    finalInsertionSort(a, 0, a.length, less);
  }
  return a;
}

const THRESHOLD = 16;

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

function introsortLoop<T>(a: T[], first: number, last: number, depth: number, less: (x: T, y: T) => boolean): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(a, first, last, less);
      return;
    }
    --depth;
    const cut = partitionPivot(a, first, last, less);
    introsortLoop(a, cut, last, depth, less);
    last = cut;
  }
}

function partitionPivot<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): number {
  const mid = first + ((last - first) >> 1);
  // Median of a[first + 1], a[mid], a[last - 1] moved to a[first].
  const x = first + 1, y = mid, z = last - 1;
  if (less(a[x]!, a[y]!)) {
    if (less(a[y]!, a[z]!)) swap(a, first, y);
    else if (less(a[x]!, a[z]!)) swap(a, first, z);
    else swap(a, first, x);
  } else if (less(a[x]!, a[z]!)) swap(a, first, x);
  else if (less(a[y]!, a[z]!)) swap(a, first, z);
  else swap(a, first, y);
  let lo = first + 1;
  let hi = last;
  const pivot = a[first]!;
  for (;;) {
    while (less(a[lo]!, pivot)) ++lo;
    --hi;
    while (less(pivot, a[hi]!)) --hi;
    if (!(lo < hi)) return lo;
    swap(a, lo, hi);
    ++lo;
  }
}

function unguardedLinearInsert<T>(a: T[], last: number, less: (x: T, y: T) => boolean): void {
  const value = a[last]!;
  let next = last - 1;
  while (less(value, a[next]!)) {
    a[last] = a[next]!;
    last = next;
    --next;
  }
  a[last] = value;
}

function insertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  for (let i = first + 1; i < last; i++) {
    if (less(a[i]!, a[first]!)) {
      const value = a[i]!;
      for (let j = i; j > first; j--) a[j] = a[j - 1]!;
      a[first] = value;
    } else unguardedLinearInsert(a, i, less);
  }
}

function finalInsertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  if (last - first > THRESHOLD) {
    insertionSort(a, first, first + THRESHOLD, less);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(a, i, less);
  } else insertionSort(a, first, last, less);
}

function adjustHeap<T>(a: T[], first: number, hole: number, len: number, value: T, less: (x: T, y: T) => boolean): void {
  const top = hole;
  let child = hole;
  while (child < (len - 1) >> 1) {
    child = 2 * (child + 1);
    if (less(a[first + child]!, a[first + child - 1]!)) child--;
    a[first + hole] = a[first + child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === (len - 2) >> 1) {
    child = 2 * (child + 1);
    a[first + hole] = a[first + child - 1]!;
    hole = child - 1;
  }
  let parent = (hole - 1) >> 1;
  while (hole > top && less(a[first + parent]!, value)) {
    a[first + hole] = a[first + parent]!;
    hole = parent;
    parent = (hole - 1) >> 1;
  }
  a[first + hole] = value;
}

/** std::__partial_sort(first, last, last): make_heap, then sort_heap. */
function heapSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  const len = last - first;
  if (len >= 2) {
    for (let parent = (len - 2) >> 1; ; parent--) {
      adjustHeap(a, first, parent, len, a[first + parent]!, less);
      if (parent === 0) break;
    }
  }
  for (let end = last; end - first > 1; ) {
    --end;
    const value = a[end]!;
    a[end] = a[first]!;
    adjustHeap(a, first, 0, end - first, value, less);
  }
}
