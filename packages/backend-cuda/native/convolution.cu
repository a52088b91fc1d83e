// Convolutions through cuDNN, the three directions in one export. Activations are NHWC, filters KRSC
// ([out, kh, kw, in/groups]); the algorithm per shape and direction is chosen once and cached.
#include "convkit_cuda.h"

namespace convkit {
namespace {

struct ConvParams {
  int n, h, w, c, k, r, s, oh, ow, padH, padW, strideH, strideW, dilH, dilW, groups;
};

ConvParams convParams(const std::vector<int64_t> &v) {
  if (v.size() != 16) throw std::runtime_error("convolution parameters: expected 16 numbers, got " + std::to_string(v.size()));
  ConvParams p;
  int *f = &p.n;
  for (int i = 0; i < 16; ++i) f[i] = (int)v[i];
  return p;
}

struct ConvDescs {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  explicit ConvDescs(const ConvParams &p) {
    DnnApi &a = S.api;
    try {
      checkDnn(a.cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
      checkDnn(a.cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
      checkDnn(a.cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
      checkDnn(a.cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
      checkDnn(a.cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, p.n, p.c, p.h, p.w), "cudnnSetTensor4dDescriptor(x)");
      checkDnn(a.cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, p.n, p.k, p.oh, p.ow), "cudnnSetTensor4dDescriptor(y)");
      checkDnn(a.cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, p.k, p.c / p.groups, p.r, p.s), "cudnnSetFilter4dDescriptor");
      checkDnn(a.cudnnSetConvolution2dDescriptor(conv, p.padH, p.padW, p.strideH, p.strideW, p.dilH, p.dilW, CUDNN_CROSS_CORRELATION,
                                                 CUDNN_DATA_FLOAT),
               "cudnnSetConvolution2dDescriptor");
      checkDnn(a.cudnnSetConvolutionGroupCount(conv, p.groups), "cudnnSetConvolutionGroupCount");
      checkDnn(a.cudnnSetConvolutionMathType(conv, S.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
    } catch (...) {
      release();
      throw;
    }
  }
  void release() {
    if (x) S.api.cudnnDestroyTensorDescriptor(x);
    if (y) S.api.cudnnDestroyTensorDescriptor(y);
    if (w) S.api.cudnnDestroyFilterDescriptor(w);
    if (conv) S.api.cudnnDestroyConvolutionDescriptor(conv);
    x = y = nullptr;
    w = nullptr;
    conv = nullptr;
  }
  ~ConvDescs() { release(); }
};

struct AlgoChoice {
  int algo, mathType;
  size_t memory;
};
std::map<std::vector<int>, AlgoChoice> algoCache;

const char *const DIRECTION_NAMES[] = {"forward", "backwardData", "backwardFilter"};

// cuDNN's ranked algorithms for one direction of the convolution.
cudnnStatus_t queryAlgos(int direction, ConvDescs &d, int *returned, cudnnAlgoPerf *perf) {
  DnnApi &a = S.api;
  switch (direction) {
    case CONV_FORWARD: return a.cudnnGetConvolutionForwardAlgorithm_v7(S.dnn, d.x, d.w, d.conv, d.y, 16, returned, perf);
    case CONV_BACKWARD_DATA: return a.cudnnGetConvolutionBackwardDataAlgorithm_v7(S.dnn, d.w, d.y, d.conv, d.x, 16, returned, perf);
    default: return a.cudnnGetConvolutionBackwardFilterAlgorithm_v7(S.dnn, d.x, d.y, d.conv, d.w, 16, returned, perf);
  }
}

// The heuristic's best algorithm whose workspace fits the limit; in exact mode the math type is
// forced to FMA whatever the heuristic reports, so no TF32 tensor-core path can be taken.
AlgoChoice chooseAlgo(int direction, const ConvParams &p, ConvDescs &d) {
  std::vector<int> key(&p.n, &p.n + 16);
  key.push_back(direction);
  key.push_back(S.tf32);
  auto hit = algoCache.find(key);
  if (hit != algoCache.end()) return hit->second;
  cudnnAlgoPerf perf[16];
  int returned = 0;
  checkDnn(queryAlgos(direction, d, &returned, perf), "cudnnGetConvolution*Algorithm_v7");
  const size_t limit = size_t(4) << 30;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > limit) continue;
    if (!S.tf32 && perf[i].mathType != CUDNN_FMA_MATH && perf[i].mathType != CUDNN_DEFAULT_MATH) continue;
    AlgoChoice c{perf[i].algo, S.tf32 ? perf[i].mathType : CUDNN_FMA_MATH, perf[i].memory};
    algoCache[key] = c;
    return c;
  }
  throw std::runtime_error(std::string("cuDNN offers no ") + DIRECTION_NAMES[direction] + " algorithm for this convolution (" +
                           std::to_string(returned) + " candidates rejected)");
}

// conv2d(direction, a, b, out, params[16]), activations NHWC and filters KRSC:
//   forward         a = x,  b = w,  out = y:  y = conv(x, w)
//   backwardData    a = dy, b = w,  out = dx: dx = conv^T(dy, w), also a transposed convolution's forward pass
//   backwardFilter  a = x,  b = dy, out = dw
EXPORT(conv2d) {
  requireReady();
  int direction = c.i32(0);
  if (direction < CONV_FORWARD || direction > CONV_BACKWARD_FILTER)
    throw std::runtime_error("conv2d: direction " + std::to_string(direction) + " is none of forward (0), backwardData (1), backwardFilter (2)");
  ConvParams p = convParams(c.ints(4));
  ConvDescs d(p);
  AlgoChoice algo = chooseAlgo(direction, p, d);
  DnnApi &api = S.api;
  checkDnn(api.cudnnSetConvolutionMathType(d.conv, algo.mathType), "cudnnSetConvolutionMathType");
  float one = 1, zero = 0;
  void *ws = algo.memory ? workspace(algo.memory) : nullptr;
  float *a = c.ptr(1), *b = c.ptr(2), *out = c.ptr(3);
  switch (direction) {
    case CONV_FORWARD:
      checkDnn(api.cudnnConvolutionForward(S.dnn, &one, d.x, a, d.w, b, d.conv, algo.algo, ws, algo.memory, &zero, d.y, out), "cudnnConvolutionForward");
      break;
    case CONV_BACKWARD_DATA:
      checkDnn(api.cudnnConvolutionBackwardData(S.dnn, &one, d.w, b, d.y, a, d.conv, algo.algo, ws, algo.memory, &zero, d.x, out),
               "cudnnConvolutionBackwardData");
      break;
    case CONV_BACKWARD_FILTER:
      checkDnn(api.cudnnConvolutionBackwardFilter(S.dnn, &one, d.x, a, d.y, b, d.conv, algo.algo, ws, algo.memory, &zero, d.w, out),
               "cudnnConvolutionBackwardFilter");
      break;
  }
  return undefined(c.env);
}

}  // namespace
}  // namespace convkit
