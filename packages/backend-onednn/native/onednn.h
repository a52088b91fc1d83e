// The part of oneDNN 2.x's C API the addon uses, loaded at run time with dlopen so that the addon
// builds and loads on a machine without the library (isAvailable() then says what is missing).
// Types and enums come from libdnnl-dev's <oneapi/dnnl/dnnl.h>; no function of it is linked.
#pragma once

#include <oneapi/dnnl/dnnl.h>

#include <string>

#define CONVKIT_DNNL_FUNCTIONS(X)                 \
  X(dnnl_version)                                 \
  X(dnnl_get_effective_cpu_isa)                   \
  X(dnnl_engine_create)                           \
  X(dnnl_stream_create)                           \
  X(dnnl_stream_wait)                             \
  X(dnnl_memory_desc_init_by_strides)             \
  X(dnnl_memory_desc_init_by_tag)                 \
  X(dnnl_memory_desc_init_submemory)              \
  X(dnnl_memory_desc_equal)                       \
  X(dnnl_memory_desc_get_size)                    \
  X(dnnl_memory_create)                           \
  X(dnnl_memory_set_data_handle)                  \
  X(dnnl_memory_destroy)                          \
  X(dnnl_primitive_attr_create)                   \
  X(dnnl_primitive_attr_destroy)                  \
  X(dnnl_primitive_attr_set_post_ops)             \
  X(dnnl_post_ops_create)                         \
  X(dnnl_post_ops_destroy)                        \
  X(dnnl_post_ops_append_eltwise)                 \
  X(dnnl_primitive_desc_create)                   \
  X(dnnl_primitive_desc_destroy)                  \
  X(dnnl_primitive_desc_query_md)                 \
  X(dnnl_primitive_desc_query)                    \
  X(dnnl_primitive_create)                        \
  X(dnnl_primitive_destroy)                       \
  X(dnnl_primitive_execute)                       \
  X(dnnl_reorder_primitive_desc_create)           \
  X(dnnl_concat_primitive_desc_create)            \
  X(dnnl_dilated_convolution_forward_desc_init)   \
  X(dnnl_dilated_convolution_backward_data_desc_init) \
  X(dnnl_dilated_convolution_backward_weights_desc_init) \
  X(dnnl_pooling_v2_forward_desc_init)            \
  X(dnnl_pooling_v2_backward_desc_init)           \
  X(dnnl_eltwise_forward_desc_init)               \
  X(dnnl_eltwise_backward_desc_init)              \
  X(dnnl_binary_desc_init)                        \
  X(dnnl_batch_normalization_forward_desc_init)   \
  X(dnnl_batch_normalization_backward_desc_init)  \
  X(dnnl_matmul_desc_init)                        \
  X(dnnl_reduction_desc_init)

namespace convkit {

struct Dnnl {
#define CONVKIT_DECLARE(name) decltype(&::name) name = nullptr;
  CONVKIT_DNNL_FUNCTIONS(CONVKIT_DECLARE)
#undef CONVKIT_DECLARE
  void (*omp_set_num_threads)(int) = nullptr;
  int (*omp_get_max_threads)() = nullptr;
};

/** The loaded library's functions; null until loadDnnl() succeeds. */
extern const Dnnl* dnnl;

/** Opens the library at `path` (or libdnnl.so.2); on failure returns false and says why in `error`. */
bool loadDnnl(const std::string& path, std::string& error);

const char* statusName(dnnl_status_t status);

}  // namespace convkit
