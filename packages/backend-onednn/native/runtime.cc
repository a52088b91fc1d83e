#include "runtime.h"

#include <cstring>

namespace convkit {

void check(dnnl_status_t status, const char* call) {
  if (status != dnnl_success) throw DnnlError(std::string(call) + " failed: " + statusName(status));
}

dnnl_engine_t engine() {
  static dnnl_engine_t instance = [] {
    dnnl_engine_t e = nullptr;
    CONVKIT_CHECK(dnnl_engine_create, &e, dnnl_cpu, 0);
    return e;
  }();
  return instance;
}

dnnl_stream_t stream() {
  static dnnl_stream_t instance = [] {
    dnnl_stream_t s = nullptr;
    CONVKIT_CHECK(dnnl_stream_create, &s, engine(), dnnl_stream_default_flags);
    return s;
  }();
  return instance;
}

static std::vector<dnnl_memory_desc_t> layouts;

LayoutId internLayout(const dnnl_memory_desc_t& md) {
  for (size_t i = 0; i < layouts.size(); i++) {
    if (dnnl->dnnl_memory_desc_equal(&layouts[i], &md)) return static_cast<LayoutId>(i);
  }
  layouts.push_back(md);
  return static_cast<LayoutId>(layouts.size() - 1);
}

const dnnl_memory_desc_t& layout(LayoutId id) {
  if (id < 0 || static_cast<size_t>(id) >= layouts.size()) throw std::invalid_argument("unknown layout id " + std::to_string(id));
  return layouts[id];
}

size_t layoutCount() { return layouts.size(); }

Plan::~Plan() {
  for (auto& step : steps_) dnnl->dnnl_primitive_destroy(step.primitive);
  for (auto m : slots_) dnnl->dnnl_memory_destroy(m);
  for (auto m : scratchMemories_) dnnl->dnnl_memory_destroy(m);
}

dnnl_memory_t Plan::addSlot(LayoutId id) {
  dnnl_memory_t memory = nullptr;
  CONVKIT_CHECK(dnnl_memory_create, &memory, &layout(id), engine(), DNNL_MEMORY_NONE);
  slots_.push_back(memory);
  slotLayouts_.push_back(id);
  descs_.push_back({memory, layout(id)});
  return memory;
}

dnnl_memory_t Plan::addScratch(const dnnl_memory_desc_t& md) {
  const size_t bytes = dnnl->dnnl_memory_desc_get_size(&md);
  // 64-byte aligned, as oneDNN's own allocations are: vector loads then never split cache lines.
  std::unique_ptr<char[]> buffer(new char[bytes + 64]);
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(buffer.get()) + 63) & ~uintptr_t(63));
  dnnl_memory_t memory = nullptr;
  CONVKIT_CHECK(dnnl_memory_create, &memory, &md, engine(), aligned);
  scratchBuffers_.push_back(std::move(buffer));
  scratchMemories_.push_back(memory);
  descs_.push_back({memory, md});
  scratchSizes_.push_back(bytes + 64);
  return memory;
}

void Plan::addStep(dnnl_primitive_desc_t pd, std::vector<dnnl_exec_arg_t> args) {
  dnnl_primitive_t primitive = nullptr;
  const dnnl_status_t status = dnnl->dnnl_primitive_create(&primitive, pd);
  dnnl->dnnl_primitive_desc_destroy(pd);
  check(status, "dnnl_primitive_create");
  steps_.push_back({primitive, std::move(args)});
}

const dnnl_memory_desc_t& Plan::descOf(dnnl_memory_t memory) const {
  for (auto& [m, md] : descs_) if (m == memory) return md;
  throw std::logic_error("memory object not made by this plan");
}

dnnl_memory_t Plan::reordered(dnnl_memory_t from, const dnnl_memory_desc_t& to) {
  if (dnnl->dnnl_memory_desc_equal(&descOf(from), &to)) return from;
  dnnl_memory_t into = addScratch(to);
  addReorder(from, into);
  return into;
}

void Plan::addReorder(dnnl_memory_t from, dnnl_memory_t to) {
  dnnl_primitive_desc_t pd = nullptr;
  CONVKIT_CHECK(dnnl_reorder_primitive_desc_create, &pd, &descOf(from), engine(), &descOf(to), engine(), nullptr);
  addStep(pd, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

dnnl_memory_t Plan::outputVia(dnnl_memory_t slot, const dnnl_memory_desc_t& md) {
  if (dnnl->dnnl_memory_desc_equal(&descOf(slot), &md)) return slot;
  dnnl_memory_t scratch = addScratch(md);
  deferred_.push_back({scratch, slot});
  return scratch;
}

void Plan::finish() {
  for (auto& [from, to] : deferred_) addReorder(from, to);
  deferred_.clear();
}

void Plan::execute(const std::vector<void*>& handles) {
  if (handles.size() != slots_.size()) {
    throw std::invalid_argument("plan takes " + std::to_string(slots_.size()) + " buffers, got " + std::to_string(handles.size()));
  }
  for (size_t i = 0; i < slots_.size(); i++) CONVKIT_CHECK(dnnl_memory_set_data_handle, slots_[i], handles[i]);
  for (auto& step : steps_) {
    CONVKIT_CHECK(dnnl_primitive_execute, step.primitive, stream(), static_cast<int>(step.args.size()), step.args.data());
  }
  CONVKIT_CHECK(dnnl_stream_wait, stream());
}

size_t Plan::scratchBytes() const {
  size_t total = 0;
  for (auto s : scratchSizes_) total += s;
  return total;
}

static std::vector<std::unique_ptr<Plan>> plans;
static std::vector<PlanId> freeIds;

PlanId storePlan(std::unique_ptr<Plan> p) {
  if (!freeIds.empty()) {
    const PlanId id = freeIds.back();
    freeIds.pop_back();
    plans[id] = std::move(p);
    return id;
  }
  plans.push_back(std::move(p));
  return static_cast<PlanId>(plans.size() - 1);
}

Plan& plan(PlanId id) {
  if (id < 0 || static_cast<size_t>(id) >= plans.size() || !plans[id]) throw std::invalid_argument("unknown plan id " + std::to_string(id));
  return *plans[id];
}

void releasePlan(PlanId id) {
  plan(id);
  plans[id].reset();
  freeIds.push_back(id);
}

size_t planCount() { return plans.size() - freeIds.size(); }

size_t planScratchBytes() {
  size_t total = 0;
  for (auto& p : plans) if (p) total += p->scratchBytes();
  return total;
}

}  // namespace convkit
