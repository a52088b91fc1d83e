// The engine, the table of memory layouts and the table of plans (primitives with their memory
// bindings) that the N-API functions hand to JavaScript as small integer ids.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "onednn.h"

namespace convkit {

/** A oneDNN call that failed; `what()` names the call and the status. */
struct DnnlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(dnnl_status_t status, const char* call);
#define CONVKIT_CHECK(call, ...) ::convkit::check(::convkit::dnnl->call(__VA_ARGS__), #call)

dnnl_engine_t engine();
dnnl_stream_t stream();

using LayoutId = int32_t;
/** Interns a memory descriptor: equal descriptors get the same id. */
LayoutId internLayout(const dnnl_memory_desc_t& md);
const dnnl_memory_desc_t& layout(LayoutId id);
size_t layoutCount();

/**
 * One or more primitives run in order over memory objects. Slots are the buffers JavaScript passes
 * at each execution, in the order the plan's creator documents; scratch buffers are owned by the plan
 * (a reorder of an input into the layout a primitive wants, a pooling workspace).
 */
class Plan {
 public:
  ~Plan();
  /** A slot for an external buffer of the given layout; returns its memory object. */
  dnnl_memory_t addSlot(LayoutId layout);
  /** A buffer owned by the plan. */
  dnnl_memory_t addScratch(const dnnl_memory_desc_t& md);
  /** Takes ownership of the primitive descriptor's primitive and runs it with these arguments. */
  void addStep(dnnl_primitive_desc_t pd, std::vector<dnnl_exec_arg_t> args);
  /** `from` reordered into a scratch buffer of layout `to` by a step added now, or `from` itself when equal. */
  dnnl_memory_t reordered(dnnl_memory_t from, const dnnl_memory_desc_t& to);
  /** Appends a step copying `from` into `to`, converting between their layouts. */
  void addReorder(dnnl_memory_t from, dnnl_memory_t to);
  /** `slot` itself when its layout is `md`, else a scratch buffer of layout `md` reordered into `slot` by `finish()`. */
  dnnl_memory_t outputVia(dnnl_memory_t slot, const dnnl_memory_desc_t& md);
  /** Appends the reorders that `outputVia` deferred. */
  void finish();
  void execute(const std::vector<void*>& handles);
  size_t slotCount() const { return slots_.size(); }
  const dnnl_memory_desc_t& slotLayout(size_t i) const { return layout(slotLayouts_[i]); }
  size_t scratchBytes() const;

 private:
  struct Step {
    dnnl_primitive_t primitive;
    std::vector<dnnl_exec_arg_t> args;
  };
  const dnnl_memory_desc_t& descOf(dnnl_memory_t memory) const;
  std::vector<std::pair<dnnl_memory_t, dnnl_memory_desc_t>> descs_;
  std::vector<std::pair<dnnl_memory_t, dnnl_memory_t>> deferred_;
  std::vector<dnnl_memory_t> slots_;
  std::vector<LayoutId> slotLayouts_;
  std::vector<dnnl_memory_t> scratchMemories_;
  std::vector<std::unique_ptr<char[]>> scratchBuffers_;
  std::vector<size_t> scratchSizes_;
  std::vector<Step> steps_;
};

using PlanId = int32_t;
PlanId storePlan(std::unique_ptr<Plan> plan);
Plan& plan(PlanId id);
void releasePlan(PlanId id);
size_t planCount();
size_t planScratchBytes();

}  // namespace convkit
