import type { DevicePtr, NativeAddon, NativeMemory, ProbeResult } from '../src/native/addon.js';
import { ACTIVATION, BINARY, CAST, CONV, DTYPE, OP_CODES, REDUCE, UNARY } from '../src/native/ops.js';

/**
 * The native addon's contract (the files of native/) computed on the host, keyed by the op codes of
 * src/native/ops.ts, for tests on machines without a GPU: the backend class, its kernels' shape, layout and stride arithmetic, the CPU
 * fallbacks, reference counting and error cleanup run against it exactly as against the device.
 * It checks the TypeScript half only; the CUDA half is checked by tools/device/cuda-check.sh.
 */
export function referenceAddon(): NativeAddon & { liveBuffers(): number; failNextAlloc: boolean } {
  const heap = new Map<number, ArrayBuffer>();
  let next = 4096;
  let inUse = 0;
  let peak = 0;
  const state = { failNextAlloc: false };
  const f32 = (p: DevicePtr) => new Float32Array(buffer(p));
  const i32 = (p: DevicePtr) => new Int32Array(buffer(p));
  const u32 = (p: DevicePtr) => new Uint32Array(buffer(p));
  function buffer(p: DevicePtr): ArrayBuffer {
    const b = heap.get(p);
    if (!b) throw new Error(`reference addon: ${p} is not a live allocation`);
    return b;
  }
  const offsetOf = (i: number, shape: number[], strides: number[]) => {
    let off = 0;
    for (let k = shape.length - 1; k >= 0; k--) {
      off += (i % shape[k]!) * strides[k]!;
      i = Math.floor(i / shape[k]!);
    }
    return off;
  };
  const fr = Math.fround;

  const unaryF = (op: number, x: number, p0: number, p1: number): number => {
    switch (op) {
      case UNARY.Relu: return x < 0 ? 0 : x;
      case UNARY.Relu6: return x < 0 ? 0 : x > 6 ? 6 : x;
      case UNARY.LeakyRelu: return x < 0 ? p0 * x : x;
      case UNARY.Elu: return x >= 0 ? x : Math.expm1(x);
      case UNARY.Selu: return x >= 0 ? 1.0507009873554805 * x : 1.7580993408473766 * Math.expm1(x);
      case UNARY.Exp: return Math.exp(x);
      case UNARY.Expm1: return Math.expm1(x);
      case UNARY.Log: return Math.log(x);
      case UNARY.Log1p: return Math.log1p(x);
      case UNARY.Sqrt: return Math.sqrt(x);
      case UNARY.Rsqrt: return 1 / Math.sqrt(x);
      case UNARY.Square: return x * x;
      case UNARY.Neg: return -x;
      case UNARY.Abs: return Math.abs(x);
      case UNARY.Sigmoid: return 1 / (1 + Math.exp(-x));
      case UNARY.Tanh: return Math.tanh(x);
      case UNARY.Sin: return Math.sin(x);
      case UNARY.Cos: return Math.cos(x);
      case UNARY.Floor: return Math.floor(x);
      case UNARY.Ceil: return Math.ceil(x);
      case UNARY.Round: { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }
      case UNARY.Sign: return Number.isNaN(x) ? 0 : Math.sign(x);
      case UNARY.Reciprocal: return 1 / x;
      case UNARY.Softplus: return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
      case UNARY.ClipByValue: return Number.isNaN(x) ? x : Math.min(Math.max(x, p0), p1);
      case UNARY.Step: return Number.isNaN(x) ? NaN : x > 0 ? 1 : p0;
      case UNARY.IsNan: return Number.isNaN(x) ? 1 : 0;
      case UNARY.LogicalNot: return x === 0 ? 1 : 0;
      case UNARY.IsInf: return Math.abs(x) === Infinity ? 1 : 0;
      case UNARY.IsFinite: return Number.isFinite(x) ? 1 : 0;
      case UNARY.Atan: return Math.atan(x);
      case UNARY.Acos: return Math.acos(x);
      case UNARY.Asin: return Math.asin(x);
      case UNARY.Sinh: return Math.sinh(x);
      case UNARY.Cosh: return Math.cosh(x);
      case UNARY.Tan: return Math.tan(x);
      default: throw new Error(`reference addon: unary op ${op} is not modelled`);
    }
  };

  const binaryOp = (op: number, a: number, b: number, int: boolean): number => {
    switch (op) {
      case BINARY.Add: return a + b;
      case BINARY.Sub: return a - b;
      case BINARY.Multiply: return a * b;
      case BINARY.RealDiv: return int ? (b === 0 ? 0 : Math.floor(a / b)) : a / b;
      case BINARY.Maximum: return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
      case BINARY.Minimum: return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
      case BINARY.Pow: return a ** b;
      case BINARY.SquaredDifference: return (a - b) * (a - b);
      case BINARY.FloorDiv: return int && b === 0 ? 0 : Math.floor(a / b);
      case BINARY.Mod: { if (int && b === 0) return 0; const r = a % b; return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? r : (r + b) % b; }
      case BINARY.Atan2: return Math.atan2(a, b);
      case BINARY.Prelu: return a < 0 ? a * b : a;
      case BINARY.Equal: return Number(a === b);
      case BINARY.NotEqual: return Number(a !== b);
      case BINARY.Less: return Number(a < b);
      case BINARY.LessEqual: return Number(a <= b);
      case BINARY.Greater: return Number(a > b);
      case BINARY.GreaterEqual: return Number(a >= b);
      case BINARY.LogicalAnd: return Number(a !== 0 && b !== 0);
      case BINARY.LogicalOr: return Number(a !== 0 || b !== 0);
      default: throw new Error(`reference addon: binary op ${op} is not modelled`);
    }
  };

  type Conv = { n: number; h: number; w: number; c: number; k: number; r: number; s: number; oh: number; ow: number; ph: number; pw: number; sh: number; sw: number; dh: number; dw: number; g: number };
  const conv = (p: number[]): Conv => {
    const [n, h, w, c, k, r, s, oh, ow, ph, pw, sh, sw, dh, dw, g] = p as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
    if (2 * ph + h - ((r - 1) * dh + 1) < (oh - 1) * sh || 2 * pw + w - ((s - 1) * dw + 1) < (ow - 1) * sw) throw new Error('reference addon: output size inconsistent with cuDNN');
    return { n, h, w, c, k, r, s, oh, ow, ph, pw, sh, sw, dh, dw, g };
  };
  /** Visits every (output, filter tap, input) triple of a KRSC grouped convolution. */
  const eachTap = (q: Conv, fn: (yi: number, wi: number, xi: number) => void) => {
    const cg = q.c / q.g;
    const kg = q.k / q.g;
    for (let b = 0; b < q.n; b++) for (let oy = 0; oy < q.oh; oy++) for (let ox = 0; ox < q.ow; ox++) for (let oc = 0; oc < q.k; oc++) {
      const group = Math.floor(oc / kg);
      for (let ry = 0; ry < q.r; ry++) {
        const iy = oy * q.sh - q.ph + ry * q.dh;
        if (iy < 0 || iy >= q.h) continue;
        for (let sx = 0; sx < q.s; sx++) {
          const ix = ox * q.sw - q.pw + sx * q.dw;
          if (ix < 0 || ix >= q.w) continue;
          for (let ci = 0; ci < cg; ci++) {
            fn(((b * q.oh + oy) * q.ow + ox) * q.k + oc, ((oc * q.r + ry) * q.s + sx) * cg + ci, ((b * q.h + iy) * q.w + ix) * q.c + group * cg + ci);
          }
        }
      }
    }
  };

  type Pool = { n: number; h: number; w: number; c: number; oh: number; ow: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number };
  const pool = (p: number[]): Pool => {
    const [n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl] = p as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
    return { n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl };
  };
  const windowOf = (q: Pool, x: Float32Array, b: number, oy: number, ox: number, ch: number) => {
    let best = -Infinity;
    let pos = -1;
    let sum = 0;
    let count = 0;
    for (let r = 0; r < q.kh; r++) {
      const y = oy * q.sh - q.pt + r * q.dh;
      if (y < 0 || y >= q.h) continue;
      for (let s = 0; s < q.kw; s++) {
        const xx = ox * q.sw - q.pl + s * q.dw;
        if (xx < 0 || xx >= q.w) continue;
        const v = x[((b * q.h + y) * q.w + xx) * q.c + ch]!;
        if (v > best) {
          best = v;
          pos = r * q.kw + s;
        }
        sum += v;
        count++;
      }
    }
    return { best, pos, avg: count ? sum / count : 0 };
  };

  const memory = (): NativeMemory => ({ inUseBytes: inUse, inUseBlocks: heap.size, cachedBytes: 0, peakBytes: peak, cudaMallocs: 0, deviceFreeBytes: 0, deviceTotalBytes: 0 });

  return {
    get failNextAlloc() {
      return state.failNextAlloc;
    },
    set failNextAlloc(v: boolean) {
      state.failNextAlloc = v;
    },
    liveBuffers: () => heap.size,
    probe: (): ProbeResult => ({ runtimeVersion: 13000, driverVersion: 13000, deviceCount: 1, device: { name: 'host reference', computeCapability: '9.0', totalBytes: 0, multiprocessors: 0 }, cudnn: { loaded: true, version: 0 }, cublas: { loaded: true, library: 'none' } }),
    opCodes: () => structuredClone(OP_CODES) as Record<string, Record<string, number>>,
    init() {},
    setTf32() {},
    alloc(bytes) {
      if (state.failNextAlloc) {
        state.failNextAlloc = false;
        throw Object.assign(new Error(`out of device memory allocating ${bytes} bytes`), { code: 'CUDA_OOM' });
      }
      const p = next;
      next += Math.ceil(bytes / 256) * 256 + 256;
      heap.set(p, new ArrayBuffer(Math.ceil(bytes / 4) * 4));
      inUse += bytes;
      peak = Math.max(peak, inUse);
      return p;
    },
    release(p) {
      inUse -= buffer(p).byteLength;
      heap.delete(p);
    },
    upload(p, data) {
      new Uint8Array(buffer(p)).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    },
    download(p, into) {
      new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(new Uint8Array(buffer(p), 0, into.byteLength));
    },
    synchronize() {},
    memory,
    emptyCache() {},
    fill(y, n, dtype, value) {
      (dtype === DTYPE.float32 ? f32(y) : i32(y)).fill(value, 0, n);
    },
    unary(op, dtype, x, y, n, p0, p1, outInt) {
      const xs = dtype === DTYPE.float32 ? f32(x) : i32(x);
      const ys = dtype === DTYPE.float32 && !outInt ? f32(y) : i32(y);
      for (let i = 0; i < n; i++) ys[i] = dtype === DTYPE.float32 ? fr(unaryF(op, xs[i]!, fr(p0), fr(p1))) : unaryF(op, xs[i]!, p0, p1);
    },
    binary(op, dtype, a, b, y, shape, sa, sb, outInt) {
      const int = dtype !== DTYPE.float32;
      const as = int ? i32(a) : f32(a);
      const bs = int ? i32(b) : f32(b);
      const ys = int || outInt ? i32(y) : f32(y);
      const n = shape.reduce((p, d) => p * d, 1);
      for (let i = 0; i < n; i++) ys[i] = binaryOp(op, as[offsetOf(i, shape, sa)]!, bs[offsetOf(i, shape, sb)]!, int);
    },
    cast(mode, x, y, n) {
      for (let i = 0; i < n; i++) {
        if (mode === CAST.floatToInt) { const v = f32(x)[i]!; i32(y)[i] = Number.isFinite(v) ? Math.trunc(v) : 0; }
        else if (mode === CAST.intToFloat) f32(y)[i] = i32(x)[i]!;
        else if (mode === CAST.floatToBool) i32(y)[i] = Number(f32(x)[i] !== 0);
        else i32(y)[i] = Number(i32(x)[i] !== 0);
      }
    },
    copy(x, y, shape, inStrides, inOffset, outStrides, outOffset) {
      const xs = u32(x);
      const ys = u32(y);
      const n = shape.reduce((p, d) => p * d, 1);
      for (let i = 0; i < n; i++) ys[outOffset + offsetOf(i, shape, outStrides)] = xs[inOffset + offsetOf(i, shape, inStrides)]!;
    },
    reduce(op, dtype, x, y, outer, size, inner, outInt) {
      const xs = dtype === DTYPE.float32 ? f32(x) : i32(x);
      const ys = outInt ? i32(y) : f32(y);
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
        const v = (j: number) => xs[(o * size + j) * inner + i]!;
        let acc: number;
        switch (op) {
          case REDUCE.Sum: case REDUCE.Mean: { acc = 0; for (let j = 0; j < size; j++) acc += v(j); if (op === REDUCE.Mean) acc /= size; break; }
          case REDUCE.Prod: { acc = 1; for (let j = 0; j < size; j++) acc *= v(j); break; }
          case REDUCE.Max: case REDUCE.Min: { acc = v(0); for (let j = 1; j < size; j++) if (!Number.isNaN(acc) && (Number.isNaN(v(j)) || (op === REDUCE.Max ? v(j) > acc : v(j) < acc))) acc = v(j); break; }
          case REDUCE.ArgMax: case REDUCE.ArgMin: { acc = 0; for (let j = 1; j < size; j++) if (op === REDUCE.ArgMax ? v(j) > v(acc) : v(j) < v(acc)) acc = j; break; }
          case REDUCE.Any: { acc = 0; for (let j = 0; j < size; j++) if (v(j) !== 0) acc = 1; break; }
          case REDUCE.All: { acc = 1; for (let j = 0; j < size; j++) if (v(j) === 0) acc = 0; break; }
          default: throw new Error(`reference addon: reduce op ${op} is not modelled`);
        }
        ys[o * inner + i] = outInt ? Math.trunc(acc) : acc;
      }
    },
    softmax(x, y, rows, cols, log) {
      const xs = f32(x);
      const ys = f32(y);
      for (let r = 0; r < rows; r++) {
        let m = -Infinity;
        for (let j = 0; j < cols; j++) m = Math.max(m, xs[r * cols + j]!);
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += Math.exp(xs[r * cols + j]! - m);
        for (let j = 0; j < cols; j++) ys[r * cols + j] = log ? xs[r * cols + j]! - m - Math.log(sum) : Math.exp(xs[r * cols + j]! - m) / sum;
      }
    },
    pool(isMax, x, y, params) {
      const q = pool(params);
      const xs = f32(x);
      const ys = f32(y);
      for (let b = 0; b < q.n; b++) for (let oy = 0; oy < q.oh; oy++) for (let ox = 0; ox < q.ow; ox++) for (let ch = 0; ch < q.c; ch++) {
        const win = windowOf(q, xs, b, oy, ox, ch);
        ys[((b * q.oh + oy) * q.ow + ox) * q.c + ch] = isMax ? win.best : win.avg;
      }
    },
    poolGrad(isMax, dy, x, dx, params) {
      const q = pool(params);
      const dys = f32(dy);
      const xs = f32(x);
      const dxs = f32(dx);
      dxs.fill(0, 0, q.n * q.h * q.w * q.c);
      for (let b = 0; b < q.n; b++) for (let oy = 0; oy < q.oh; oy++) for (let ox = 0; ox < q.ow; ox++) for (let ch = 0; ch < q.c; ch++) {
        const g = dys[((b * q.oh + oy) * q.ow + ox) * q.c + ch]!;
        const pos = isMax ? windowOf(q, xs, b, oy, ox, ch).pos : -2;
        for (let r = 0; r < q.kh; r++) for (let s = 0; s < q.kw; s++) {
          const yy = oy * q.sh - q.pt + r * q.dh;
          const xx = ox * q.sw - q.pl + s * q.dw;
          if (yy < 0 || yy >= q.h || xx < 0 || xx >= q.w) continue;
          const i = ((b * q.h + yy) * q.w + xx) * q.c + ch;
          if (isMax) { if (pos === r * q.kw + s) dxs[i] += g; }
          else dxs[i] += g / (q.kh * q.kw);
        }
      }
    },
    conv2d(direction, a, b, out, params) {
      const q = conv(params);
      if (direction === CONV.forward) {
        const xs = f32(a), ws = f32(b), acc = new Float64Array(q.n * q.oh * q.ow * q.k);
        eachTap(q, (yi, wi, xi) => (acc[yi] += xs[xi]! * ws[wi]!));
        f32(out).set(acc);
      } else if (direction === CONV.backwardData) {
        const dys = f32(a), ws = f32(b), acc = new Float64Array(q.n * q.h * q.w * q.c);
        eachTap(q, (yi, wi, xi) => (acc[xi] += dys[yi]! * ws[wi]!));
        f32(out).set(acc);
      } else if (direction === CONV.backwardFilter) {
        const xs = f32(a), dys = f32(b), acc = new Float64Array(q.k * q.r * q.s * (q.c / q.g));
        eachTap(q, (yi, wi, xi) => (acc[wi] += xs[xi]! * dys[yi]!));
        f32(out).set(acc);
      } else {
        throw new Error(`reference addon: conv2d direction ${direction} is not modelled`);
      }
    },
    gemm(a, b, y, batch, m, n, k, transA, transB, strideA, strideB) {
      const as = f32(a), bs = f32(b), ys = f32(y);
      for (let t = 0; t < batch; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) {
          const av = as[t * strideA + (transA ? l * m + i : i * k + l)]!;
          const bv = bs[t * strideB + (transB ? j * k + l : l * n + j)]!;
          acc += av * bv;
        }
        ys[t * m * n + i * n + j] = acc;
      }
    },
    batchNorm(x, mean, nm, variance, nv, offset, no, scale, ns, eps, y, n) {
      const xs = f32(x), ms = f32(mean), vs = f32(variance), ys = f32(y);
      const os = offset ? f32(offset) : null, ss = scale ? f32(scale) : null;
      for (let i = 0; i < n; i++) ys[i] = (os ? os[i % no]! : 0) + ((xs[i]! - ms[i % nm]!) * (ss ? ss[i % ns]! : 1)) / Math.sqrt(vs[i % nv]! + eps);
    },
    biasActivation(x, bias, nb, act, alpha, na, leaky, y, n) {
      const xs = f32(x), ys = f32(y), bs = bias ? f32(bias) : null, al = alpha ? f32(alpha) : null;
      for (let i = 0; i < n; i++) {
        let v = fr(xs[i]! + (bs ? bs[i % nb]! : 0));
        if (act === ACTIVATION.relu) v = v < 0 ? 0 : v;
        else if (act === ACTIVATION.relu6) v = v < 0 ? 0 : v > 6 ? 6 : v;
        else if (act === ACTIVATION.prelu) v = v < 0 ? v * al![i % na]! : v;
        else if (act === ACTIVATION.leakyrelu) v = v < 0 ? v * leaky : v;
        else if (act === ACTIVATION.elu) v = v >= 0 ? v : Math.expm1(v);
        else if (act === ACTIVATION.sigmoid) v = 1 / (1 + Math.exp(-v));
        ys[i] = v;
      }
    },
    lrn(x, y, n, channels, radius, bias, alpha, beta) {
      const xs = f32(x), ys = f32(y);
      for (let i = 0; i < n; i++) {
        const ch = i % channels;
        let sum = 0;
        for (let k = Math.max(0, ch - radius); k <= Math.min(channels - 1, ch + radius); k++) sum += xs[i - ch + k]! ** 2;
        ys[i] = xs[i]! * (bias + alpha * sum) ** -beta;
      }
    },
    resizeBilinear(x, y, sizes, rowRatio, colRatio, halfPixel) {
      const [n, h, w, c, oh, ow] = sizes as [number, number, number, number, number, number];
      const xs = f32(x), ys = f32(y);
      for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
        const fy = halfPixel ? rowRatio * (oy + 0.5) - 0.5 : rowRatio * oy;
        const fx = halfPixel ? colRatio * (ox + 0.5) - 0.5 : colRatio * ox;
        const r0 = Math.max(0, Math.floor(fy)), c0 = Math.max(0, Math.floor(fx));
        const r1 = Math.min(h - 1, Math.ceil(fy)), c1 = Math.min(w - 1, Math.ceil(fx));
        const at = (r: number, cc: number) => xs[((b * h + r) * w + cc) * c + ch]!;
        const top = at(r0, c0) + (at(r0, c1) - at(r0, c0)) * (fx - c0);
        const bottom = at(r1, c0) + (at(r1, c1) - at(r1, c0)) * (fx - c0);
        ys[((b * oh + oy) * ow + ox) * c + ch] = top + (bottom - top) * (fy - r0);
      }
    },
    gather(x, indices, y, outer, axisSize, nIndices, inner) {
      const xs = u32(x), is = i32(indices), ys = u32(y);
      for (let o = 0; o < outer; o++) for (let j = 0; j < nIndices; j++) for (let i = 0; i < inner; i++) {
        const k = is[j]!;
        ys[(o * nIndices + j) * inner + i] = k >= 0 && k < axisSize ? xs[(o * axisSize + k) * inner + i]! : 0;
      }
    },
    oneHot(indices, y, n, depth, on, off, isInt) {
      const is = i32(indices), ys = isInt ? i32(y) : f32(y);
      for (let r = 0; r < n; r++) for (let d = 0; d < depth; d++) ys[r * depth + d] = is[r] === d ? on : off;
    },
    select(cond, a, b, y, n, rowSize) {
      const cs = i32(cond), as = u32(a), bs = u32(b), ys = u32(y);
      for (let i = 0; i < n; i++) ys[i] = cs[Math.floor(i / Math.max(1, rowSize))] ? as[i]! : bs[i]!;
    },
    range(y, n, start, step, isInt) {
      const ys = isInt ? i32(y) : f32(y);
      for (let i = 0; i < n; i++) ys[i] = start + step * i;
    },
  };
}
