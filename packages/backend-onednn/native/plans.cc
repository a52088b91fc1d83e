#include "plans.h"

#include <cstring>

namespace convkit {

namespace {

dnnl_memory_desc_t anyLayout(const std::array<dnnl_dim_t, 4>& dims) {
  dnnl_memory_desc_t md;
  CONVKIT_CHECK(dnnl_memory_desc_init_by_tag, &md, 4, dims.data(), dnnl_f32, dnnl_format_tag_any);
  return md;
}

dnnl_memory_desc_t query(const_dnnl_primitive_desc_t pd, dnnl_query_t what, int index = 0) {
  const dnnl_memory_desc_t* md = dnnl->dnnl_primitive_desc_query_md(pd, what, index);
  if (!md) throw DnnlError("dnnl_primitive_desc_query_md found no such memory");
  return *md;
}

struct EltwiseAlg {
  dnnl_alg_kind_t alg;
  float alpha;
  float beta;
};

EltwiseAlg eltwiseAlg(Activation activation, float alpha) {
  switch (activation) {
    case Activation::relu: return {dnnl_eltwise_relu, 0.f, 0.f};
    case Activation::leakyRelu: return {dnnl_eltwise_relu, alpha, 0.f};
    case Activation::relu6: return {dnnl_eltwise_clip, 0.f, 6.f};
    case Activation::elu: return {dnnl_eltwise_elu, 1.f, 0.f};
    case Activation::sigmoid: return {dnnl_eltwise_logistic, 0.f, 0.f};
    case Activation::negate: return {dnnl_eltwise_linear, -1.f, 0.f};
    case Activation::square: return {dnnl_eltwise_square, 0.f, 0.f};
    default: throw std::invalid_argument("unknown activation " + std::to_string(static_cast<int>(activation)));
  }
}

/** A primitive attribute with the activation as an eltwise post-op (null for none); destroy with attrFree. */
dnnl_primitive_attr_t activationAttr(Activation activation, float alpha) {
  if (activation == Activation::none) return nullptr;
  const EltwiseAlg e = eltwiseAlg(activation, alpha);
  dnnl_post_ops_t ops = nullptr;
  CONVKIT_CHECK(dnnl_post_ops_create, &ops);
  dnnl_primitive_attr_t attr = nullptr;
  try {
    CONVKIT_CHECK(dnnl_post_ops_append_eltwise, ops, 1.f, e.alg, e.alpha, e.beta);
    CONVKIT_CHECK(dnnl_primitive_attr_create, &attr);
    CONVKIT_CHECK(dnnl_primitive_attr_set_post_ops, attr, ops);
  } catch (...) {
    dnnl->dnnl_post_ops_destroy(ops);
    if (attr) dnnl->dnnl_primitive_attr_destroy(attr);
    throw;
  }
  dnnl->dnnl_post_ops_destroy(ops);
  return attr;
}

struct AttrGuard {
  dnnl_primitive_attr_t attr;
  ~AttrGuard() {
    if (attr) dnnl->dnnl_primitive_attr_destroy(attr);
  }
};

struct PdGuard {
  dnnl_primitive_desc_t pd = nullptr;
  ~PdGuard() {
    if (pd) dnnl->dnnl_primitive_desc_destroy(pd);
  }
  /** Hands the descriptor to a plan step, which destroys it. */
  dnnl_primitive_desc_t release() {
    dnnl_primitive_desc_t p = pd;
    pd = nullptr;
    return p;
  }
};

/**
 * Images of at least one vector's width of channels go in oneDNN's channel-blocked layout (nChw16c with
 * AVX-512, nChw8c with AVX2), as PyTorch's oneDNN tensors do: left to choose ('any'), oneDNN 2.6 takes its
 * brgemm convolutions on plain nhwc, which ran ResNet-50's convolutions at half the speed on an AVX-512
 * Xeon. Fewer channels (an RGB input) are left to the primitive.
 */
dnnl_dim_t channelBlock() {
  static const dnnl_dim_t block = [] {
    const unsigned isa = dnnl->dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core) return dnnl_dim_t{16};
    if ((isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2) return dnnl_dim_t{8};
    return dnnl_dim_t{0};
  }();
  return block;
}

/** Which image layouts a convolution is asked for: blocked first; the others where that finds only reference code. */
enum class Layouts { blocked, any, nhwc };

dnnl_memory_desc_t imageLayout(const std::array<dnnl_dim_t, 4>& dims, Layouts mode = Layouts::blocked) {
  const dnnl_dim_t block = channelBlock();
  if (mode == Layouts::any || (mode == Layouts::blocked && (block == 0 || dims[1] < block))) return anyLayout(dims);
  dnnl_memory_desc_t md;
  const dnnl_format_tag_t tag = mode == Layouts::nhwc ? dnnl_nhwc : block == 16 ? dnnl_nChw16c : dnnl_nChw8c;
  CONVKIT_CHECK(dnnl_memory_desc_init_by_tag, &md, 4, dims.data(), dnnl_f32, tag);
  return md;
}

bool isReference(const_dnnl_primitive_desc_t pd) {
  const char* info = nullptr;
  if (dnnl->dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info) != dnnl_success || !info) return false;
  return std::strncmp(info, "ref", 3) == 0;
}

/**
 * The first of `make(layouts)` for blocked, any and nhwc layouts that oneDNN runs with generated code.
 * Some mixes (a 6-channel input beside a 16-channel blocked gradient, LeNet's second convolution) have
 * only the element-wise reference implementation in one of them: 230 ms for a 5x5 filter gradient at
 * batch 32, against 0.2 ms vectorised. The reference one is taken only where nothing else exists.
 */
template <typename Make>
dnnl_primitive_desc_t fastestConvolution(Make make) {
  dnnl_primitive_desc_t reference = nullptr;
  for (Layouts mode : {Layouts::blocked, Layouts::any, Layouts::nhwc}) {
    dnnl_primitive_desc_t pd = nullptr;
    try {
      pd = make(mode);
    } catch (const DnnlError&) {
      continue;
    }
    if (!isReference(pd)) {
      if (reference) dnnl->dnnl_primitive_desc_destroy(reference);
      return pd;
    }
    if (reference) dnnl->dnnl_primitive_desc_destroy(pd);
    else reference = pd;
  }
  if (!reference) throw DnnlError("dnnl_primitive_desc_create found no convolution implementation for these shapes");
  return reference;
}

dnnl_convolution_desc_t convDesc(const ConvShape& s, dnnl_prop_kind_t prop, bool bias, Layouts mode) {
  const dnnl_memory_desc_t src = imageLayout(s.src, mode), weights = anyLayout(s.weights), dst = imageLayout(s.dst, mode);
  dnnl_memory_desc_t biasMd;
  const dnnl_dim_t biasDims[1] = {s.weights[0]};
  CONVKIT_CHECK(dnnl_memory_desc_init_by_tag, &biasMd, 1, biasDims, dnnl_f32, dnnl_x);
  dnnl_convolution_desc_t desc;
  CONVKIT_CHECK(dnnl_dilated_convolution_forward_desc_init, &desc, prop, dnnl_convolution_direct, &src, &weights,
                bias ? &biasMd : nullptr, &dst, s.strides.data(), s.dilations.data(), s.padL.data(), s.padR.data());
  return desc;
}

}  // namespace

PlanId planConvForward(const ConvShape& s, LayoutId src, LayoutId dst, bool bias, Activation activation, float alpha) {
  AttrGuard attr{activationAttr(activation, alpha)};
  PdGuard pd;
  pd.pd = fastestConvolution([&](Layouts mode) {
    dnnl_convolution_desc_t desc = convDesc(s, dnnl_forward_inference, bias, mode);
    dnnl_primitive_desc_t made = nullptr;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &made, &desc, attr.attr, engine(), nullptr);
    return made;
  });
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t weightsSlot = p->addSlot(internLayout(query(pd.pd, dnnl_query_weights_md)));
  dnnl_memory_t biasSlot = bias ? p->addSlot(internLayout(query(pd.pd, dnnl_query_weights_md, 1))) : nullptr;
  const dnnl_memory_desc_t dstMd = query(pd.pd, dnnl_query_dst_md);
  dnnl_memory_t dstSlot = p->addSlot(dst >= 0 ? dst : internLayout(dstMd));
  dnnl_memory_t srcIn = p->reordered(srcSlot, query(pd.pd, dnnl_query_src_md));
  dnnl_memory_t dstOut = p->outputVia(dstSlot, dstMd);
  std::vector<dnnl_exec_arg_t> args = {{DNNL_ARG_SRC, srcIn}, {DNNL_ARG_WEIGHTS, weightsSlot}, {DNNL_ARG_DST, dstOut}};
  if (bias) args.push_back({DNNL_ARG_BIAS, biasSlot});
  p->addStep(pd.release(), std::move(args));
  p->finish();
  return storePlan(std::move(p));
}

PlanId planConvBackwardData(const ConvShape& s, LayoutId diffDst, LayoutId diffSrc) {
  PdGuard pd;
  pd.pd = fastestConvolution([&](Layouts mode) {
    dnnl_convolution_desc_t forward = convDesc(s, dnnl_forward_training, false, mode);
    PdGuard hint;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &hint.pd, &forward, nullptr, engine(), nullptr);
    const dnnl_memory_desc_t src = imageLayout(s.src, mode), weights = anyLayout(s.weights), dst = imageLayout(s.dst, mode);
    dnnl_convolution_desc_t desc;
    CONVKIT_CHECK(dnnl_dilated_convolution_backward_data_desc_init, &desc, dnnl_convolution_direct, &src, &weights, &dst,
                  s.strides.data(), s.dilations.data(), s.padL.data(), s.padR.data());
    dnnl_primitive_desc_t made = nullptr;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &made, &desc, nullptr, engine(), hint.pd);
    return made;
  });
  auto p = std::make_unique<Plan>();
  dnnl_memory_t diffDstSlot = p->addSlot(diffDst);
  dnnl_memory_t weightsSlot = p->addSlot(internLayout(query(pd.pd, dnnl_query_weights_md)));
  const dnnl_memory_desc_t diffSrcMd = query(pd.pd, dnnl_query_diff_src_md);
  dnnl_memory_t diffSrcSlot = p->addSlot(diffSrc >= 0 ? diffSrc : internLayout(diffSrcMd));
  dnnl_memory_t diffDstIn = p->reordered(diffDstSlot, query(pd.pd, dnnl_query_diff_dst_md));
  dnnl_memory_t diffSrcOut = p->outputVia(diffSrcSlot, diffSrcMd);
  p->addStep(pd.release(), {{DNNL_ARG_DIFF_DST, diffDstIn}, {DNNL_ARG_WEIGHTS, weightsSlot}, {DNNL_ARG_DIFF_SRC, diffSrcOut}});
  p->finish();
  return storePlan(std::move(p));
}

PlanId planConvBackwardWeights(const ConvShape& s, LayoutId src, LayoutId diffDst, LayoutId diffWeights) {
  PdGuard pd;
  pd.pd = fastestConvolution([&](Layouts mode) {
    dnnl_convolution_desc_t forward = convDesc(s, dnnl_forward_training, false, mode);
    PdGuard hint;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &hint.pd, &forward, nullptr, engine(), nullptr);
    const dnnl_memory_desc_t srcMd = imageLayout(s.src, mode), weights = anyLayout(s.weights), dst = imageLayout(s.dst, mode);
    dnnl_convolution_desc_t desc;
    CONVKIT_CHECK(dnnl_dilated_convolution_backward_weights_desc_init, &desc, dnnl_convolution_direct, &srcMd, &weights, nullptr,
                  &dst, s.strides.data(), s.dilations.data(), s.padL.data(), s.padR.data());
    dnnl_primitive_desc_t made = nullptr;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &made, &desc, nullptr, engine(), hint.pd);
    return made;
  });
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t diffDstSlot = p->addSlot(diffDst);
  dnnl_memory_t diffWeightsSlot = p->addSlot(diffWeights);
  dnnl_memory_t srcIn = p->reordered(srcSlot, query(pd.pd, dnnl_query_src_md));
  dnnl_memory_t diffDstIn = p->reordered(diffDstSlot, query(pd.pd, dnnl_query_diff_dst_md));
  dnnl_memory_t diffWeightsOut = p->outputVia(diffWeightsSlot, query(pd.pd, dnnl_query_diff_weights_md));
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcIn}, {DNNL_ARG_DIFF_DST, diffDstIn}, {DNNL_ARG_DIFF_WEIGHTS, diffWeightsOut}});
  p->finish();
  return storePlan(std::move(p));
}

namespace {

dnnl_alg_kind_t poolingAlg(Pooling kind) {
  switch (kind) {
    case Pooling::max: return dnnl_pooling_max;
    case Pooling::avgIncludePadding: return dnnl_pooling_avg_include_padding;
    case Pooling::avgExcludePadding: return dnnl_pooling_avg_exclude_padding;
  }
  throw std::invalid_argument("unknown pooling");
}

dnnl_pooling_v2_desc_t poolDesc(Pooling kind, const PoolShape& s, dnnl_prop_kind_t prop, const dnnl_memory_desc_t& src) {
  const dnnl_memory_desc_t dst = anyLayout(s.dst);
  const dnnl_dims_t dilation = {0, 0};
  dnnl_pooling_v2_desc_t desc;
  CONVKIT_CHECK(dnnl_pooling_v2_forward_desc_init, &desc, prop, poolingAlg(kind), &src, &dst, s.strides.data(), s.kernel.data(),
                dilation, s.padL.data(), s.padR.data());
  return desc;
}

}  // namespace

PlanId planPoolForward(Pooling kind, const PoolShape& s, LayoutId src, LayoutId dst) {
  dnnl_pooling_v2_desc_t desc = poolDesc(kind, s, dnnl_forward_inference, layout(src));
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  const dnnl_memory_desc_t dstMd = query(pd.pd, dnnl_query_dst_md);
  dnnl_memory_t dstSlot = p->addSlot(dst >= 0 ? dst : internLayout(dstMd));
  dnnl_memory_t dstOut = p->outputVia(dstSlot, dstMd);
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DST, dstOut}});
  p->finish();
  return storePlan(std::move(p));
}

PlanId planPoolBackward(Pooling kind, const PoolShape& s, LayoutId src, LayoutId diffDst, LayoutId diffSrc) {
  const dnnl_memory_desc_t& srcMd = layout(src);
  dnnl_pooling_v2_desc_t forward = poolDesc(kind, s, dnnl_forward_training, srcMd);
  PdGuard hint;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &hint.pd, &forward, nullptr, engine(), nullptr);
  const dnnl_memory_desc_t dstMd = query(hint.pd, dnnl_query_dst_md);
  const dnnl_memory_desc_t anyDst = anyLayout(s.dst);
  const dnnl_dims_t dilation = {0, 0};
  dnnl_pooling_v2_desc_t desc;
  CONVKIT_CHECK(dnnl_pooling_v2_backward_desc_init, &desc, poolingAlg(kind), &srcMd, &anyDst, s.strides.data(), s.kernel.data(),
                dilation, s.padL.data(), s.padR.data());
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), hint.pd);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t diffDstSlot = p->addSlot(diffDst);
  dnnl_memory_t diffSrcSlot = p->addSlot(diffSrc);
  std::vector<dnnl_exec_arg_t> backwardArgs;
  if (kind == Pooling::max) {
    // The forward again, for the workspace that records each window's arg-max.
    dnnl_memory_t dstScratch = p->addScratch(dstMd);
    dnnl_memory_t workspace = p->addScratch(query(hint.pd, dnnl_query_workspace_md));
    p->addStep(hint.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DST, dstScratch}, {DNNL_ARG_WORKSPACE, workspace}});
    backwardArgs.push_back({DNNL_ARG_WORKSPACE, workspace});
  }
  dnnl_memory_t diffDstIn = p->reordered(diffDstSlot, query(pd.pd, dnnl_query_diff_dst_md));
  dnnl_memory_t diffSrcOut = p->outputVia(diffSrcSlot, query(pd.pd, dnnl_query_diff_src_md));
  backwardArgs.push_back({DNNL_ARG_DIFF_DST, diffDstIn});
  backwardArgs.push_back({DNNL_ARG_DIFF_SRC, diffSrcOut});
  p->addStep(pd.release(), std::move(backwardArgs));
  p->finish();
  return storePlan(std::move(p));
}

PlanId planEltwise(Activation activation, float alpha, LayoutId src) {
  const EltwiseAlg e = eltwiseAlg(activation, alpha);
  dnnl_eltwise_desc_t desc;
  CONVKIT_CHECK(dnnl_eltwise_forward_desc_init, &desc, dnnl_forward_inference, e.alg, &layout(src), e.alpha, e.beta);
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t dstSlot = p->addSlot(src);
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DST, dstSlot}});
  return storePlan(std::move(p));
}

PlanId planBinary(Binary op, LayoutId src0, LayoutId src1, Activation activation) {
  static const dnnl_alg_kind_t algs[] = {dnnl_binary_add, dnnl_binary_sub, dnnl_binary_mul, dnnl_binary_div, dnnl_binary_max, dnnl_binary_min};
  const int index = static_cast<int>(op);
  if (index < 0 || index > 5) throw std::invalid_argument("unknown binary op");
  dnnl_binary_desc_t desc;
  CONVKIT_CHECK(dnnl_binary_desc_init, &desc, algs[index], &layout(src0), &layout(src1), &layout(src0));
  AttrGuard attr{activationAttr(activation, 0.f)};
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, attr.attr, engine(), nullptr);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t a = p->addSlot(src0);
  dnnl_memory_t b = p->addSlot(src1);
  dnnl_memory_t dst = p->addSlot(src0);
  p->addStep(pd.release(), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, dst}});
  return storePlan(std::move(p));
}

PlanId planReluBackward(LayoutId src, LayoutId diffDst) {
  const dnnl_memory_desc_t& srcMd = layout(src);
  dnnl_eltwise_desc_t forward;
  CONVKIT_CHECK(dnnl_eltwise_forward_desc_init, &forward, dnnl_forward_training, dnnl_eltwise_relu, &srcMd, 0.f, 0.f);
  PdGuard hint;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &hint.pd, &forward, nullptr, engine(), nullptr);
  dnnl_eltwise_desc_t desc;
  CONVKIT_CHECK(dnnl_eltwise_backward_desc_init, &desc, dnnl_eltwise_relu, &srcMd, &srcMd, 0.f, 0.f);
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), hint.pd);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t diffDstSlot = p->addSlot(diffDst);
  dnnl_memory_t diffSrcSlot = p->addSlot(src);
  dnnl_memory_t diffDstIn = p->reordered(diffDstSlot, srcMd);
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DIFF_DST, diffDstIn}, {DNNL_ARG_DIFF_SRC, diffSrcSlot}});
  return storePlan(std::move(p));
}

PlanId planBatchNormBackward(LayoutId src, LayoutId diffDst, float epsilon) {
  const dnnl_memory_desc_t& srcMd = layout(src);
  const unsigned flags = dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift;
  dnnl_batch_normalization_desc_t forward;
  CONVKIT_CHECK(dnnl_batch_normalization_forward_desc_init, &forward, dnnl_forward_training, &srcMd, epsilon, flags);
  PdGuard hint;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &hint.pd, &forward, nullptr, engine(), nullptr);
  dnnl_batch_normalization_desc_t desc;
  CONVKIT_CHECK(dnnl_batch_normalization_backward_desc_init, &desc, dnnl_backward, &srcMd, &srcMd, epsilon, flags);
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), hint.pd);
  const dnnl_dim_t channels = srcMd.dims[1];
  dnnl_memory_desc_t vector;
  CONVKIT_CHECK(dnnl_memory_desc_init_by_tag, &vector, 1, &channels, dnnl_f32, dnnl_x);
  const LayoutId vectorLayout = internLayout(vector);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t diffDstSlot = p->addSlot(diffDst);
  dnnl_memory_t mean = p->addSlot(vectorLayout);
  dnnl_memory_t variance = p->addSlot(vectorLayout);
  dnnl_memory_t scale = p->addSlot(vectorLayout);
  dnnl_memory_t diffSrcSlot = p->addSlot(src);
  dnnl_memory_t diffScale = p->addSlot(vectorLayout);
  dnnl_memory_t diffShift = p->addSlot(vectorLayout);
  dnnl_memory_t diffDstIn = p->reordered(diffDstSlot, query(pd.pd, dnnl_query_diff_dst_md));
  // oneDNN 2.6 checks that a use_shift backward pass is given the shift, which the gradients do not depend on
  // (it matters only with a fused ReLU): the scale's memory stands in, as tfjs keeps no offset for the gradient.
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DIFF_DST, diffDstIn}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance},
                            {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, scale}, {DNNL_ARG_DIFF_SRC, diffSrcSlot}, {DNNL_ARG_DIFF_SCALE, diffScale}, {DNNL_ARG_DIFF_SHIFT, diffShift}});
  return storePlan(std::move(p));
}

PlanId planAffine(float alpha, float beta, LayoutId src) {
  dnnl_eltwise_desc_t desc;
  CONVKIT_CHECK(dnnl_eltwise_forward_desc_init, &desc, dnnl_forward_inference, dnnl_eltwise_linear, &layout(src), alpha, beta);
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t dstSlot = p->addSlot(src);
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DST, dstSlot}});
  return storePlan(std::move(p));
}

PlanId planReduction(Reduction op, LayoutId src, LayoutId dst) {
  static const dnnl_alg_kind_t algs[] = {dnnl_reduction_sum, dnnl_reduction_mean, dnnl_reduction_max, dnnl_reduction_min};
  const int index = static_cast<int>(op);
  if (index < 0 || index > 3) throw std::invalid_argument("unknown reduction");
  const dnnl_memory_desc_t& srcMd = layout(src);
  const dnnl_memory_desc_t& dstMd = layout(dst);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t dstSlot = p->addSlot(dst);
  dnnl_memory_t from = srcSlot;
  const dnnl_memory_desc_t* fromMd = &srcMd;
  dnnl_memory_desc_t pooledMd;
  dnnl_dim_t area = 1;
  // oneDNN 2.6 vectorises only reductions of the innermost dense axes; over an image's H and W (BatchNorm's
  // training statistics reduce N, H and W) it runs its element-wise reference code. A pooling window of
  // H x W does that part vectorised instead, leaving N x C values for the reduction.
  const bool spatial = srcMd.ndims == 4 && dstMd.dims[2] == 1 && dstMd.dims[3] == 1 && srcMd.dims[2] * srcMd.dims[3] > 1 && op != Reduction::min;
  if (spatial) {
    area = srcMd.dims[2] * srcMd.dims[3];
    const std::array<dnnl_dim_t, 4> pooledDims = {srcMd.dims[0], srcMd.dims[1], 1, 1};
    PoolShape shape{pooledDims, {srcMd.dims[2], srcMd.dims[3]}, {1, 1}, {0, 0}, {0, 0}};
    dnnl_pooling_v2_desc_t desc = poolDesc(op == Reduction::max ? Pooling::max : Pooling::avgIncludePadding, shape, dnnl_forward_inference, srcMd);
    PdGuard pd;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
    pooledMd = query(pd.pd, dnnl_query_dst_md);
    dnnl_memory_t pooled = p->addScratch(pooledMd);
    p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_DST, pooled}});
    from = pooled;
    fromMd = &pooledMd;
  }
  bool more = false;
  for (int i = 0; i < fromMd->ndims; i++) more = more || fromMd->dims[i] != dstMd.dims[i];
  if (more) {
    // Per-image means summed (scaled back below), averaged or maximised over the rest give the whole reduction.
    dnnl_reduction_desc_t desc;
    CONVKIT_CHECK(dnnl_reduction_desc_init, &desc, algs[index], fromMd, &dstMd, 0.f, 0.f);
    PdGuard pd;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
    p->addStep(pd.release(), {{DNNL_ARG_SRC, from}, {DNNL_ARG_DST, dstSlot}});
  } else {
    p->addReorder(from, dstSlot);
  }
  if (spatial && op == Reduction::sum) {
    dnnl_eltwise_desc_t desc;
    CONVKIT_CHECK(dnnl_eltwise_forward_desc_init, &desc, dnnl_forward_inference, dnnl_eltwise_linear, &dstMd, static_cast<float>(area), 0.f);
    PdGuard pd;
    CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
    p->addStep(pd.release(), {{DNNL_ARG_SRC, dstSlot}, {DNNL_ARG_DST, dstSlot}});
  }
  return storePlan(std::move(p));
}

PlanId planBatchNorm(LayoutId src, float epsilon, Activation activation) {
  unsigned flags = dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift;
  if (activation == Activation::relu) flags |= dnnl_fuse_norm_relu;
  else if (activation != Activation::none) throw std::invalid_argument("batch norm fuses relu only");
  dnnl_batch_normalization_desc_t desc;
  CONVKIT_CHECK(dnnl_batch_normalization_forward_desc_init, &desc, dnnl_forward_inference, &layout(src), epsilon, flags);
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, nullptr, engine(), nullptr);
  const dnnl_dim_t channels = layout(src).dims[1];
  dnnl_memory_desc_t vector;
  CONVKIT_CHECK(dnnl_memory_desc_init_by_tag, &vector, 1, &channels, dnnl_f32, dnnl_x);
  const LayoutId vectorLayout = internLayout(vector);
  auto p = std::make_unique<Plan>();
  dnnl_memory_t srcSlot = p->addSlot(src);
  dnnl_memory_t mean = p->addSlot(vectorLayout);
  dnnl_memory_t variance = p->addSlot(vectorLayout);
  dnnl_memory_t scale = p->addSlot(vectorLayout);
  dnnl_memory_t shift = p->addSlot(vectorLayout);
  dnnl_memory_t dstSlot = p->addSlot(src);
  p->addStep(pd.release(), {{DNNL_ARG_SRC, srcSlot}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance},
                            {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, shift}, {DNNL_ARG_DST, dstSlot}});
  return storePlan(std::move(p));
}

PlanId planConcat(const std::vector<LayoutId>& srcs, int axis, LayoutId dst) {
  std::vector<dnnl_memory_desc_t> mds;
  for (LayoutId id : srcs) mds.push_back(layout(id));
  PdGuard pd;
  CONVKIT_CHECK(dnnl_concat_primitive_desc_create, &pd.pd, nullptr, static_cast<int>(mds.size()), axis, mds.data(), nullptr, engine());
  auto p = std::make_unique<Plan>();
  std::vector<dnnl_exec_arg_t> args;
  for (size_t i = 0; i < srcs.size(); i++) args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), p->addSlot(srcs[i])});
  const dnnl_memory_desc_t dstMd = query(pd.pd, dnnl_query_dst_md);
  dnnl_memory_t dstSlot = p->addSlot(dst >= 0 ? dst : internLayout(dstMd));
  args.push_back({DNNL_ARG_DST, p->outputVia(dstSlot, dstMd)});
  p->addStep(pd.release(), std::move(args));
  p->finish();
  return storePlan(std::move(p));
}

PlanId planMatmul(LayoutId src, LayoutId weights, LayoutId bias, LayoutId dst, Activation activation, float alpha) {
  dnnl_matmul_desc_t desc;
  CONVKIT_CHECK(dnnl_matmul_desc_init, &desc, &layout(src), &layout(weights), bias >= 0 ? &layout(bias) : nullptr, &layout(dst));
  AttrGuard attr{activationAttr(activation, alpha)};
  PdGuard pd;
  CONVKIT_CHECK(dnnl_primitive_desc_create, &pd.pd, &desc, attr.attr, engine(), nullptr);
  auto p = std::make_unique<Plan>();
  std::vector<dnnl_exec_arg_t> args = {{DNNL_ARG_SRC, p->addSlot(src)}, {DNNL_ARG_WEIGHTS, p->addSlot(weights)}};
  if (bias >= 0) args.push_back({DNNL_ARG_BIAS, p->addSlot(bias)});
  args.push_back({DNNL_ARG_DST, p->addSlot(dst)});
  p->addStep(pd.release(), std::move(args));
  return storePlan(std::move(p));
}

LayoutId imageLayoutId(const std::array<dnnl_dim_t, 4>& dims) {
  const dnnl_memory_desc_t md = imageLayout(dims);
  return md.format_kind == dnnl_format_kind_any ? -1 : internLayout(md);
}

PlanId planReorder(LayoutId src, LayoutId dst) {
  auto p = std::make_unique<Plan>();
  dnnl_memory_t from = p->addSlot(src);
  dnnl_memory_t to = p->addSlot(dst);
  p->addReorder(from, to);
  return storePlan(std::move(p));
}

}  // namespace convkit
