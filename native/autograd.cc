// Autograd entry points, grad modes, autocast, RNG, thread settings and the CPU ISA oneDNN uses.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/DefaultDtype.h>
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <memory>
#include <vector>

namespace tszoo {

static std::vector<at::Tensor> tensorArray(napi_env env, const Napi::Value& v, const char* what, bool allowNull) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + ": expected an array of Tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value x = arr[i];
    if (allowNull && (x.IsNull() || x.IsUndefined())) {
      out.emplace_back();
    } else {
      out.push_back(unwrapTensor(env, x, what));
    }
  }
  return out;
}

static bool optBool(const Napi::Value& v, bool dflt) { return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt; }

static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "requiresGrad_", [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(env, info[0], "requiresGrad_");
    t.set_requires_grad(optBool(info[1], true));
    return info[0];
  });
}

static Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "requiresGrad").requires_grad());
}

static Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "isLeaf").is_leaf());
}

static Napi::Value GradFn(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "gradFn");
  const auto& fn = t.grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}

static Napi::Value Grad(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "grad", [&]() -> Napi::Value {
    return Napi::Value(env, wrapTensor(env, unwrapTensor(env, info[0], "grad").grad()));
  });
}

static Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "setGrad", [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(env, info[0], "setGrad");
    if (info[1].IsNull() || info[1].IsUndefined()) {
      t.mutable_grad().reset();
    } else {
      const at::Tensor& g = unwrapTensor(env, info[1], "setGrad");
      TORCH_CHECK(g.sizes() == t.sizes(), "gradient shape ", g.sizes(), " does not match tensor shape ", t.sizes());
      TORCH_CHECK(g.scalar_type() == t.scalar_type(), "gradient dtype ", g.scalar_type(), " does not match ",
                  t.scalar_type());
      t.mutable_grad() = g;
    }
    return Napi::Env(env).Undefined();
  });
}

static Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "retainGrad", [&]() -> Napi::Value {
    unwrapTensor(env, info[0], "retainGrad").retain_grad();
    return Napi::Env(env).Undefined();
  });
}

// backward(tensors, grads | null, retainGraph?, createGraph?)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "backward", [&]() -> Napi::Value {
    auto tensors = tensorArray(env, info[0], "backward", false);
    std::vector<at::Tensor> grads;
    if (info.Length() > 1 && info[1].IsArray()) grads = tensorArray(env, info[1], "backward", true);
    if (!grads.empty() && grads.size() != tensors.size()) {
      throw Napi::Error::New(env, "backward: got " + std::to_string(grads.size()) + " gradients for " +
                                      std::to_string(tensors.size()) + " tensors");
    }
    bool createGraph = optBool(info[3], false);
    c10::optional<bool> retain;
    if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
    torch::autograd::backward(tensors, grads, retain, createGraph);
    flushWarnings(env);
    return Napi::Env(env).Undefined();
  });
}

// gradOf(outputs, inputs, gradOutputs | null, retainGraph?, createGraph?, allowUnused?) -> (Tensor|null)[]
static Napi::Value GradOf(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "autograd.grad", [&]() -> Napi::Value {
    auto outputs = tensorArray(env, info[0], "autograd.grad", false);
    auto inputs = tensorArray(env, info[1], "autograd.grad", false);
    std::vector<at::Tensor> gradOutputs;
    if (info[2].IsArray()) gradOutputs = tensorArray(env, info[2], "autograd.grad", true);
    c10::optional<bool> retain;
    if (info[3].IsBoolean()) retain = info[3].As<Napi::Boolean>().Value();
    bool create = optBool(info[4], false);
    bool allowUnused = optBool(info[5], false);
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
    auto arr = Napi::Array::New(env, grads.size());
    for (size_t i = 0; i < grads.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Value(env, wrapTensor(env, grads[i])));
    return arr;
  });
}

static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(optBool(info[0], true));
  return Napi::Boolean::New(info.Env(), previous);
}

static Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

// Inference-mode guards live on a per-thread stack so JS can open and close them around a callback.
static thread_local std::vector<std::unique_ptr<c10::InferenceMode>> inferenceGuards;

static Napi::Value EnterInferenceMode(const Napi::CallbackInfo& info) {
  inferenceGuards.push_back(std::make_unique<c10::InferenceMode>(optBool(info[0], true)));
  return Napi::Number::New(info.Env(), double(inferenceGuards.size()));
}

static Napi::Value ExitInferenceMode(const Napi::CallbackInfo& info) {
  if (inferenceGuards.empty()) throw Napi::Error::New(info.Env(), "exitInferenceMode: no inference mode is open");
  inferenceGuards.pop_back();
  return Napi::Number::New(info.Env(), double(inferenceGuards.size()));
}

static Napi::Value IsInferenceMode(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}

static Napi::Value IsInferenceTensor(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "isInference").is_inference());
}

// LibTorch's CPU autocast is thread-local state: the enabled flag (which also puts AutocastCPU in the
// thread's dispatch keys) and the lower-precision dtype. setAutocast(enabled, dtype?) -> previous flag.
static Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "setAutocast", [&]() -> Napi::Value {
    bool previous = at::autocast::is_cpu_enabled();
    if (info.Length() > 1 && info[1].IsString()) {
      at::ScalarType dtype = parseScalarType(info[1], "autocast dtype");
      TORCH_CHECK(dtype == at::kBFloat16, "CPU autocast supports bfloat16 only, got ", dtype);
      at::autocast::set_autocast_cpu_dtype(dtype);
    }
    at::autocast::set_cpu_enabled(optBool(info[0], false));
    return Napi::Boolean::New(env, previous);
  });
}

static Napi::Value IsAutocastEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::autocast::is_cpu_enabled());
}

static Napi::Value SetAutocastCacheEnabled(const Napi::CallbackInfo& info) {
  bool previous = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(optBool(info[0], true));
  return Napi::Boolean::New(info.Env(), previous);
}

// Drops the lower-precision copies of weights that autocast cached (PyTorch does this when the
// outermost autocast region exits).
static Napi::Value ClearAutocastCache(const Napi::CallbackInfo& info) {
  at::autocast::clear_cache();
  return info.Env().Undefined();
}

// The instruction set oneDNN dispatches to on this CPU (dnnl_get_effective_cpu_isa), looked up in the
// libdnnl that LibTorch loaded; null when LibTorch was built without oneDNN.
static Napi::Value OnednnIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) return env.Null();
  using GetIsa = int (*)();
  using IsaToString = const char* (*)(int);
  auto getIsa = reinterpret_cast<GetIsa>(dlsym(lib, "dnnl_get_effective_cpu_isa"));
  auto isaToString = reinterpret_cast<IsaToString>(dlsym(lib, "dnnl_cpu_isa2str"));
  Napi::Value result = env.Null();
  if (getIsa != nullptr) {
    int isa = getIsa();
    auto o = Napi::Object::New(env);
    o.Set("code", isa);
    const char* text = isaToString != nullptr ? isaToString(isa) : nullptr;
    o.Set("name", text != nullptr ? Napi::Value(Napi::String::New(env, text)) : env.Null());
    result = o;
  }
  dlclose(lib);
  return result;
}

// setBlasThreads(n): the threads of the OpenBLAS that LibTorch's matmuls (addmm, linear) call, looked up
// in the library LibTorch loaded (openblas_set_num_threads); returns the previous count, or null when the
// BLAS is not OpenBLAS. OpenBLAS keeps its own thread pool, which at::set_num_threads does not size (unlike
// MKL's), and whose idle threads spin in sched_yield after each call: process-wide, unlike setNumThreads.
static Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "setBlasThreads: expected a positive integer");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 1024) throw Napi::RangeError::New(env, "setBlasThreads: expected 1..1024, got " + std::to_string(n));
  void* lib = nullptr;
  for (const char* name : {"libopenblas.so.0", "libblas.so.3"}) {
    lib = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (lib != nullptr) break;
  }
  if (lib == nullptr) return env.Null();
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  auto set = reinterpret_cast<SetThreads>(dlsym(lib, "openblas_set_num_threads"));
  auto get = reinterpret_cast<GetThreads>(dlsym(lib, "openblas_get_num_threads"));
  Napi::Value result = env.Null();
  if (set != nullptr && get != nullptr) {
    result = Napi::Number::New(env, get());
    set(n);
  }
  dlclose(lib);
  return result;
}

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint64_t seed = 0;
  if (info[0].IsBigInt()) {
    bool lossless;
    seed = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  } else if (info[0].IsNumber()) {
    double d = info[0].As<Napi::Number>().DoubleValue();
    if (d < 0 || d != static_cast<double>(static_cast<uint64_t>(d))) {
      throw Napi::RangeError::New(env, "manualSeed: seed must be a non-negative integer");
    }
    seed = static_cast<uint64_t>(d);
  } else {
    throw Napi::TypeError::New(env, "manualSeed: seed must be a number or bigint");
  }
  at::manual_seed(seed);
  return Napi::Env(env).Undefined();
}

// The default CPU generator's state as a uint8 tensor (for checkpoints), and restoring it.
static Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "getRngState", [&]() -> Napi::Value {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return Napi::Value(env, wrapTensor(env, gen.get_state()));
  });
}

static Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "setRngState", [&]() -> Napi::Value {
    const at::Tensor& state = unwrapTensor(env, info[0], "setRngState");
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
    return Napi::Env(env).Undefined();
  });
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "setNumThreads: expected a positive integer");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 1024) throw Napi::RangeError::New(env, "setNumThreads: expected 1..1024, got " + std::to_string(n));
  guarded(env, "setNumThreads", [&]() { at::set_num_threads(n); });
  return Napi::Env(env).Undefined();
}

// setDefaultDtype('float32' | 'float64'): the dtype of floating-point tensors made without one (zeros,
// randn, ...), as torch.set_default_dtype.
static Napi::Value SetDefaultDtype(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  at::ScalarType t = parseScalarType(info[0], "setDefaultDtype");
  if (t != at::kFloat && t != at::kDouble)
    throw Napi::TypeError::New(env, "setDefaultDtype: only 'float32' or 'float64' can be the default dtype");
  guarded(env, "setDefaultDtype", [&]() { c10::set_default_dtype(c10::scalarTypeToTypeMeta(t)); });
  return Napi::Env(env).Undefined();
}

static Napi::Value GetDefaultDtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), scalarTypeName(c10::typeMetaToScalarType(c10::get_default_dtype())));
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

static Napi::Value Config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", TORCH_VERSION);
  o.Set("buildConfig", at::show_config());
  o.Set("parallelInfo", at::get_parallel_info());
  return o;
}

void registerAutogradFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad, "setRequiresGrad"));
  exports.Set("requiresGrad", Napi::Function::New(env, RequiresGrad, "requiresGrad"));
  exports.Set("isLeaf", Napi::Function::New(env, IsLeaf, "isLeaf"));
  exports.Set("gradFn", Napi::Function::New(env, GradFn, "gradFn"));
  exports.Set("grad", Napi::Function::New(env, Grad, "grad"));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad, "setGrad"));
  exports.Set("retainGrad", Napi::Function::New(env, RetainGrad, "retainGrad"));
  exports.Set("backward", Napi::Function::New(env, Backward, "backward"));
  exports.Set("gradOf", Napi::Function::New(env, GradOf, "gradOf"));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled, "setGradEnabled"));
  exports.Set("isGradEnabled", Napi::Function::New(env, IsGradEnabled, "isGradEnabled"));
  exports.Set("enterInferenceMode", Napi::Function::New(env, EnterInferenceMode, "enterInferenceMode"));
  exports.Set("exitInferenceMode", Napi::Function::New(env, ExitInferenceMode, "exitInferenceMode"));
  exports.Set("isInferenceMode", Napi::Function::New(env, IsInferenceMode, "isInferenceMode"));
  exports.Set("isInferenceTensor", Napi::Function::New(env, IsInferenceTensor, "isInferenceTensor"));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed, "manualSeed"));
  exports.Set("getRngState", Napi::Function::New(env, GetRngState, "getRngState"));
  exports.Set("setRngState", Napi::Function::New(env, SetRngState, "setRngState"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("setBlasThreads", Napi::Function::New(env, SetBlasThreads, "setBlasThreads"));
  exports.Set("setDefaultDtype", Napi::Function::New(env, SetDefaultDtype, "setDefaultDtype"));
  exports.Set("getDefaultDtype", Napi::Function::New(env, GetDefaultDtype, "getDefaultDtype"));
  exports.Set("config", Napi::Function::New(env, Config, "config"));
  exports.Set("setAutocast", Napi::Function::New(env, SetAutocast, "setAutocast"));
  exports.Set("isAutocastEnabled", Napi::Function::New(env, IsAutocastEnabled, "isAutocastEnabled"));
  exports.Set("setAutocastCacheEnabled", Napi::Function::New(env, SetAutocastCacheEnabled, "setAutocastCacheEnabled"));
  exports.Set("clearAutocastCache", Napi::Function::New(env, ClearAutocastCache, "clearAutocastCache"));
  exports.Set("onednnIsa", Napi::Function::New(env, OnednnIsa, "onednnIsa"));
}

}  // namespace tszoo
