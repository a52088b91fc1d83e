// The N-API surface of the addon. Every plan builder returns [planId, layout of slot 0, slot 1, ...];
// `execute(plan, buffers)` takes one typed array per slot, in that order. Layouts and plans are ids
// into tables kept here (runtime.cc); buffers are JavaScript typed arrays, never copied.
#include <node_api.h>

#include <cstring>
#include <string>
#include <vector>

#include "plans.h"

namespace convkit {
namespace {

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void ok(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw JsError(std::string("N-API call failed: ") + what);
}

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t expected) {
  size_t count = expected;
  std::vector<napi_value> values(expected);
  ok(env, napi_get_cb_info(env, info, &count, values.data(), nullptr, nullptr), "napi_get_cb_info");
  if (count < expected) throw JsError("expected " + std::to_string(expected) + " arguments, got " + std::to_string(count));
  return values;
}

double number(napi_env env, napi_value value) {
  double out = 0;
  ok(env, napi_get_value_double(env, value, &out), "a number argument");
  return out;
}

int32_t integer(napi_env env, napi_value value) { return static_cast<int32_t>(number(env, value)); }

bool boolean(napi_env env, napi_value value) {
  bool out = false;
  ok(env, napi_get_value_bool(env, value, &out), "a boolean argument");
  return out;
}

std::vector<double> numbers(napi_env env, napi_value array) {
  uint32_t length = 0;
  ok(env, napi_get_array_length(env, array, &length), "an array argument");
  std::vector<double> out(length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    ok(env, napi_get_element(env, array, i, &element), "an array element");
    out[i] = number(env, element);
  }
  return out;
}

std::vector<dnnl_dim_t> dims(napi_env env, napi_value array) {
  std::vector<dnnl_dim_t> out;
  for (double d : numbers(env, array)) out.push_back(static_cast<dnnl_dim_t>(d));
  return out;
}

napi_value toJs(napi_env env, double value) {
  napi_value out;
  ok(env, napi_create_double(env, value, &out), "napi_create_double");
  return out;
}

napi_value planResult(napi_env env, PlanId id) {
  Plan& p = plan(id);
  napi_value array;
  ok(env, napi_create_array_with_length(env, p.slotCount() + 1, &array), "napi_create_array");
  ok(env, napi_set_element(env, array, 0, toJs(env, id)), "napi_set_element");
  for (size_t i = 0; i < p.slotCount(); i++) {
    ok(env, napi_set_element(env, array, static_cast<uint32_t>(i + 1), toJs(env, internLayout(p.slotLayout(i)))), "napi_set_element");
  }
  return array;
}

template <size_t N>
std::array<dnnl_dim_t, N> take(const std::vector<dnnl_dim_t>& v, size_t& at) {
  std::array<dnnl_dim_t, N> out{};
  for (size_t i = 0; i < N; i++) out[i] = v.at(at++);
  return out;
}

/** [src 4, weights 4, dst 4, strides 2, dilations 2, padL 2, padR 2] */
ConvShape convShape(napi_env env, napi_value value) {
  const std::vector<dnnl_dim_t> v = dims(env, value);
  if (v.size() != 20) throw JsError("a convolution shape has 20 numbers");
  size_t at = 0;
  ConvShape s;
  s.src = take<4>(v, at);
  s.weights = take<4>(v, at);
  s.dst = take<4>(v, at);
  s.strides = take<2>(v, at);
  s.dilations = take<2>(v, at);
  s.padL = take<2>(v, at);
  s.padR = take<2>(v, at);
  return s;
}

/** [dst 4, kernel 2, strides 2, padL 2, padR 2] */
PoolShape poolShape(napi_env env, napi_value value) {
  const std::vector<dnnl_dim_t> v = dims(env, value);
  if (v.size() != 12) throw JsError("a pooling shape has 12 numbers");
  size_t at = 0;
  PoolShape s;
  s.dst = take<4>(v, at);
  s.kernel = take<2>(v, at);
  s.strides = take<2>(v, at);
  s.padL = take<2>(v, at);
  s.padR = take<2>(v, at);
  return s;
}

void requireLoaded() {
  if (!dnnl) throw JsError("oneDNN is not loaded: call load() first");
}

using Body = napi_value (*)(napi_env, napi_callback_info);

template <Body body>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return body(env, info);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
}

napi_value Load(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  size_t length = 0;
  ok(env, napi_get_value_string_utf8(env, a[0], nullptr, 0, &length), "a string argument");
  std::string path(length, '\0');
  ok(env, napi_get_value_string_utf8(env, a[0], path.data(), length + 1, &length), "a string argument");
  std::string error;
  if (!loadDnnl(path, error)) throw JsError(error);
  engine();
  stream();
  const dnnl_version_t* v = dnnl->dnnl_version();
  napi_value out;
  ok(env, napi_create_object(env, &out), "napi_create_object");
  const std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value versionJs, runtimeJs;
  ok(env, napi_create_string_utf8(env, version.c_str(), version.size(), &versionJs), "napi_create_string");
  const char* runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "openmp" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "tbb" : "other";
  ok(env, napi_create_string_utf8(env, runtime, NAPI_AUTO_LENGTH, &runtimeJs), "napi_create_string");
  ok(env, napi_set_named_property(env, out, "version", versionJs), "set version");
  ok(env, napi_set_named_property(env, out, "cpuRuntime", runtimeJs), "set cpuRuntime");
  ok(env, napi_set_named_property(env, out, "isa", toJs(env, static_cast<double>(dnnl->dnnl_get_effective_cpu_isa()))), "set isa");
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 1);
  if (dnnl->omp_set_num_threads) dnnl->omp_set_num_threads(integer(env, a[0]));
  return nullptr;
}

napi_value Threads(napi_env env, napi_callback_info) {
  requireLoaded();
  return toJs(env, dnnl->omp_get_max_threads ? dnnl->omp_get_max_threads() : 0);
}

napi_value LayoutStrided(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 2);
  const std::vector<dnnl_dim_t> d = dims(env, a[0]), s = dims(env, a[1]);
  if (d.size() != s.size() || d.empty() || d.size() > DNNL_MAX_NDIMS) throw JsError("layoutStrided: dims and strides of rank 1 to 12");
  dnnl_memory_desc_t md;
  CONVKIT_CHECK(dnnl_memory_desc_init_by_strides, &md, static_cast<int>(d.size()), d.data(), dnnl_f32, s.data());
  return toJs(env, internLayout(md));
}

napi_value LayoutSubmemory(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  const std::vector<dnnl_dim_t> d = dims(env, a[1]), offsets = dims(env, a[2]);
  const dnnl_memory_desc_t& parent = layout(integer(env, a[0]));
  if (static_cast<int>(d.size()) != parent.ndims || d.size() != offsets.size()) throw JsError("layoutSubmemory: dims and offsets of the parent's rank");
  dnnl_memory_desc_t md;
  CONVKIT_CHECK(dnnl_memory_desc_init_submemory, &md, &parent, d.data(), offsets.data());
  return toJs(env, internLayout(md));
}

napi_value LayoutImage(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 1);
  const std::vector<dnnl_dim_t> d = dims(env, a[0]);
  if (d.size() != 4) throw JsError("layoutImage takes [N, C, H, W]");
  return toJs(env, imageLayoutId({d[0], d[1], d[2], d[3]}));
}

napi_value LayoutBytes(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 1);
  return toJs(env, static_cast<double>(dnnl->dnnl_memory_desc_get_size(&layout(integer(env, a[0])))));
}

napi_value PlanConvForward(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 6);
  return planResult(env, planConvForward(convShape(env, a[0]), integer(env, a[1]), integer(env, a[2]), boolean(env, a[3]),
                                         static_cast<Activation>(integer(env, a[4])), static_cast<float>(number(env, a[5]))));
}

napi_value PlanConvBackwardData(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  return planResult(env, planConvBackwardData(convShape(env, a[0]), integer(env, a[1]), integer(env, a[2])));
}

napi_value PlanConvBackwardWeights(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 4);
  return planResult(env, planConvBackwardWeights(convShape(env, a[0]), integer(env, a[1]), integer(env, a[2]), integer(env, a[3])));
}

napi_value PlanPoolForward(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 4);
  return planResult(env, planPoolForward(static_cast<Pooling>(integer(env, a[0])), poolShape(env, a[1]), integer(env, a[2]), integer(env, a[3])));
}

napi_value PlanPoolBackward(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 5);
  return planResult(env, planPoolBackward(static_cast<Pooling>(integer(env, a[0])), poolShape(env, a[1]), integer(env, a[2]),
                                          integer(env, a[3]), integer(env, a[4])));
}

napi_value PlanEltwise(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  return planResult(env, planEltwise(static_cast<Activation>(integer(env, a[0])), static_cast<float>(number(env, a[1])), integer(env, a[2])));
}

napi_value PlanBinary(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 4);
  return planResult(env, planBinary(static_cast<Binary>(integer(env, a[0])), integer(env, a[1]), integer(env, a[2]), static_cast<Activation>(integer(env, a[3]))));
}

napi_value PlanReluBackward(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 2);
  return planResult(env, planReluBackward(integer(env, a[0]), integer(env, a[1])));
}

napi_value PlanBatchNormBackward(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  return planResult(env, planBatchNormBackward(integer(env, a[0]), integer(env, a[1]), static_cast<float>(number(env, a[2]))));
}

napi_value PlanAffine(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  return planResult(env, planAffine(static_cast<float>(number(env, a[0])), static_cast<float>(number(env, a[1])), integer(env, a[2])));
}

napi_value PlanReduction(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  return planResult(env, planReduction(static_cast<Reduction>(integer(env, a[0])), integer(env, a[1]), integer(env, a[2])));
}

napi_value PlanBatchNorm(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  return planResult(env, planBatchNorm(integer(env, a[0]), static_cast<float>(number(env, a[1])), static_cast<Activation>(integer(env, a[2]))));
}

napi_value PlanConcat(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 3);
  std::vector<LayoutId> srcs;
  for (double id : numbers(env, a[0])) srcs.push_back(static_cast<LayoutId>(id));
  return planResult(env, planConcat(srcs, integer(env, a[1]), integer(env, a[2])));
}

napi_value PlanMatmul(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 6);
  return planResult(env, planMatmul(integer(env, a[0]), integer(env, a[1]), integer(env, a[2]), integer(env, a[3]),
                                    static_cast<Activation>(integer(env, a[4])), static_cast<float>(number(env, a[5]))));
}

napi_value PlanReorder(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 2);
  return planResult(env, planReorder(integer(env, a[0]), integer(env, a[1])));
}

napi_value Execute(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 2);
  Plan& p = plan(integer(env, a[0]));
  uint32_t length = 0;
  ok(env, napi_get_array_length(env, a[1], &length), "an array of buffers");
  std::vector<void*> handles(length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    ok(env, napi_get_element(env, a[1], i, &element), "a buffer");
    napi_typedarray_type type;
    size_t elements = 0;
    void* data = nullptr;
    ok(env, napi_get_typedarray_info(env, element, &type, &elements, &data, nullptr, nullptr), "a typed array buffer");
    const size_t need = dnnl->dnnl_memory_desc_get_size(&p.slotLayout(i));
    if (type != napi_float32_array) throw JsError("buffer " + std::to_string(i) + " is not a Float32Array");
    if (elements * 4 < need) {
      throw JsError("buffer " + std::to_string(i) + " holds " + std::to_string(elements * 4) + " bytes; its layout needs " + std::to_string(need));
    }
    handles[i] = data;
  }
  p.execute(handles);
  return nullptr;
}

napi_value Release(napi_env env, napi_callback_info info) {
  requireLoaded();
  auto a = args(env, info, 1);
  releasePlan(integer(env, a[0]));
  return nullptr;
}

napi_value Stats(napi_env env, napi_callback_info) {
  napi_value out;
  ok(env, napi_create_object(env, &out), "napi_create_object");
  ok(env, napi_set_named_property(env, out, "plans", toJs(env, static_cast<double>(dnnl ? planCount() : 0))), "set plans");
  ok(env, napi_set_named_property(env, out, "layouts", toJs(env, static_cast<double>(dnnl ? layoutCount() : 0))), "set layouts");
  ok(env, napi_set_named_property(env, out, "scratchBytes", toJs(env, static_cast<double>(dnnl ? planScratchBytes() : 0))), "set scratchBytes");
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"load", nullptr, guarded<Load>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, guarded<SetThreads>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, guarded<Threads>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layoutStrided", nullptr, guarded<LayoutStrided>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layoutSubmemory", nullptr, guarded<LayoutSubmemory>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layoutImage", nullptr, guarded<LayoutImage>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layoutBytes", nullptr, guarded<LayoutBytes>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planConvForward", nullptr, guarded<PlanConvForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planConvBackwardData", nullptr, guarded<PlanConvBackwardData>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planConvBackwardWeights", nullptr, guarded<PlanConvBackwardWeights>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planPoolForward", nullptr, guarded<PlanPoolForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planPoolBackward", nullptr, guarded<PlanPoolBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planEltwise", nullptr, guarded<PlanEltwise>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planBinary", nullptr, guarded<PlanBinary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planReluBackward", nullptr, guarded<PlanReluBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planBatchNormBackward", nullptr, guarded<PlanBatchNormBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planAffine", nullptr, guarded<PlanAffine>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planReduction", nullptr, guarded<PlanReduction>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planBatchNorm", nullptr, guarded<PlanBatchNorm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planConcat", nullptr, guarded<PlanConcat>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planMatmul", nullptr, guarded<PlanMatmul>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"planReorder", nullptr, guarded<PlanReorder>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"execute", nullptr, guarded<Execute>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"release", nullptr, guarded<Release>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, guarded<Stats>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace
}  // namespace convkit

NAPI_MODULE(NODE_GYP_MODULE_NAME, convkit::Init)
