// Builders of plans, one per primitive family. Each returns the plan's id; the plan's slots (the buffers
// JavaScript passes to `execute`, and their layouts) are listed in the order written by each builder.
// Dimensions are oneDNN's logical order: [N, C, H, W] for images, [O, I, kH, kW] for filters.
#pragma once

#include <array>
#include <vector>

#include "runtime.h"

namespace convkit {

/** A post-op or standalone elementwise function: tfjs's fused activations and unary kernels. */
enum class Activation : int { none = 0, relu = 1, relu6 = 2, elu = 3, sigmoid = 4, leakyRelu = 5, negate = 6, square = 7 };

struct ConvShape {
  std::array<dnnl_dim_t, 4> src;      // N, C, H, W
  std::array<dnnl_dim_t, 4> weights;  // O, I, kH, kW
  std::array<dnnl_dim_t, 4> dst;      // N, O, H', W'
  std::array<dnnl_dim_t, 2> strides;
  std::array<dnnl_dim_t, 2> dilations;  // oneDNN's: 0 is a dense kernel
  std::array<dnnl_dim_t, 2> padL;
  std::array<dnnl_dim_t, 2> padR;
};

/** Slots: src (layout `src`), weights (the layout oneDNN picks), [bias, plain], dst (`dst`, or oneDNN's pick when < 0). */
PlanId planConvForward(const ConvShape& shape, LayoutId src, LayoutId dst, bool bias, Activation activation, float alpha);
/** Slots: diff_dst (`diffDst`), weights (oneDNN's pick), diff_src (`diffSrc`, or oneDNN's pick when < 0). */
PlanId planConvBackwardData(const ConvShape& shape, LayoutId diffDst, LayoutId diffSrc);
/** Slots: src (`src`), diff_dst (`diffDst`), diff_weights (`diffWeights`). */
PlanId planConvBackwardWeights(const ConvShape& shape, LayoutId src, LayoutId diffDst, LayoutId diffWeights);

enum class Pooling : int { max = 0, avgIncludePadding = 1, avgExcludePadding = 2 };
struct PoolShape {
  std::array<dnnl_dim_t, 4> dst;  // N, C, H', W'
  std::array<dnnl_dim_t, 2> kernel;
  std::array<dnnl_dim_t, 2> strides;
  std::array<dnnl_dim_t, 2> padL;
  std::array<dnnl_dim_t, 2> padR;
};
/** Slots: src (`src`), dst (`dst`, or oneDNN's pick when < 0). */
PlanId planPoolForward(Pooling kind, const PoolShape& shape, LayoutId src, LayoutId dst);
/** Slots: src (`src`, max only: the forward is re-run for its workspace), diff_dst (`diffDst`), diff_src (`diffSrc`). */
PlanId planPoolBackward(Pooling kind, const PoolShape& shape, LayoutId src, LayoutId diffDst, LayoutId diffSrc);

/** Slots: src (`src`), dst (same layout). */
PlanId planEltwise(Activation activation, float alpha, LayoutId src);

enum class Binary : int { add = 0, sub = 1, mul = 2, div = 3, max = 4, min = 5 };
/** Slots: src0 (`src0`), src1 (`src1`, broadcast where its dims are 1), dst (the layout of src0); then the activation. */
PlanId planBinary(Binary op, LayoutId src0, LayoutId src1, Activation activation);

/** The ReLU's gradient, dy where x > 0, else 0. Slots: src (`src`), diff_dst (`diffDst`), diff_src (src's layout). */
PlanId planReluBackward(LayoutId src, LayoutId diffDst);

/**
 * Batch norm's gradient with the statistics as given inputs (tfjs's FusedBatchNorm semantics). Slots: src (`src`),
 * diff_dst (`diffDst`), mean, variance, scale ([C]), diff_src (src's layout), diff_scale, diff_shift ([C]).
 */
PlanId planBatchNormBackward(LayoutId src, LayoutId diffDst, float epsilon);

/** y = alpha x + beta. Slots: src, dst (same layout). */
PlanId planAffine(float alpha, float beta, LayoutId src);

enum class Reduction : int { sum = 0, mean = 1, max = 2, min = 3 };
/** Slots: src (`src`), dst (`dst`: src's dims with 1 on each reduced axis). */
PlanId planReduction(Reduction op, LayoutId src, LayoutId dst);

/** Inference batch norm with given statistics. Slots: src (`src`), mean, variance, scale, shift ([C]), dst (src's layout). */
PlanId planBatchNorm(LayoutId src, float epsilon, Activation activation);

/** Slots: srcs..., dst (`dst`, or oneDNN's pick when < 0). */
PlanId planConcat(const std::vector<LayoutId>& srcs, int axis, LayoutId dst);

/** Slots: src, weights, [bias], dst, all in the given (strided) layouts. */
PlanId planMatmul(LayoutId src, LayoutId weights, LayoutId bias, LayoutId dst, Activation activation, float alpha);

/** Slots: src, dst. */
PlanId planReorder(LayoutId src, LayoutId dst);

/** The channel-blocked layout convolutions here take and give for an image of these dims, or -1 where they take any (fewer channels than a block). */
LayoutId imageLayoutId(const std::array<dnnl_dim_t, 4>& dims);

}  // namespace convkit
