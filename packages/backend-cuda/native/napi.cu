// The N-API side: reading arguments, making JS values, turning C++ exceptions into JS Errors, and
// the module's export table, which EXPORT fills from each file's static initialisers.
#include "convkit_cuda.h"

namespace convkit {

Call::Call(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

napi_value Call::arg(size_t i) const {
  if (i >= argc) throw std::runtime_error("missing argument " + std::to_string(i));
  return argv[i];
}

double Call::num(size_t i) const {
  double v;
  if (napi_get_value_double(env, arg(i), &v) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " is not a number");
  return v;
}

bool Call::flag(size_t i) const {
  bool v;
  if (napi_get_value_bool(env, arg(i), &v) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " is not a boolean");
  return v;
}

std::vector<int64_t> Call::ints(size_t i) const {
  napi_value a = arg(i);
  uint32_t n = 0;
  if (napi_get_array_length(env, a, &n) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " is not an array");
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value v;
    double d;
    napi_get_element(env, a, k, &v);
    napi_get_value_double(env, v, &d);
    out[k] = (int64_t)d;
  }
  return out;
}

void Call::bytes(size_t i, void **data, size_t *length) const {
  napi_typedarray_type type;
  size_t count, offset;
  napi_value buffer;
  if (napi_get_typedarray_info(env, arg(i), &type, &count, data, &buffer, &offset) != napi_ok)
    throw std::runtime_error("argument " + std::to_string(i) + " is not a typed array");
  size_t width = type == napi_uint8_array || type == napi_int8_array || type == napi_uint8_clamped_array ? 1
                 : type == napi_int16_array || type == napi_uint16_array                                 ? 2
                 : type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array ? 8
                                                                                                        : 4;
  *length = count * width;
}

napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value string(napi_env env, const std::string &s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}

napi_value boolean(napi_env env, bool b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

napi_value object(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  return o;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

void set(napi_env env, napi_value o, const char *k, napi_value v) { napi_set_named_property(env, o, k, v); }

namespace {

void throwJs(napi_env env, const std::string &code, const std::string &message) {
  napi_value err, msg, c;
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  napi_create_string_utf8(env, code.c_str(), code.size(), &c);
  napi_create_error(env, c, msg, &err);
  napi_throw(env, err);
}

struct ExportEntry {
  const char *name;
  napi_callback fn;
};

// A function-local static: the files' registrations run before main code, in no fixed order.
std::vector<ExportEntry> &exportTable() {
  static std::vector<ExportEntry> table;
  return table;
}

}  // namespace

napi_value callJs(napi_env env, napi_callback_info info, napi_value (*impl)(const Call &)) {
  try {
    Call c(env, info);
    return impl(c);
  } catch (const CudaError &e) {
    throwJs(env, e.code, e.what());
  } catch (const std::exception &e) {
    throwJs(env, "CONVKIT_CUDA", e.what());
  }
  return nullptr;
}

ExportRegistration::ExportRegistration(const char *name, napi_callback fn) { exportTable().push_back({name, fn}); }

}  // namespace convkit

NAPI_MODULE_INIT() {
  for (const convkit::ExportEntry &e : convkit::exportTable()) {
    napi_value fn;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}
