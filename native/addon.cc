// Entry point of the tszoo addon. Loadable in several worker threads: all state is per environment.
#include <malloc.h>

#include <climits>
#include <cstdlib>
#include <mutex>

#include "common.h"

namespace tszoo {

// glibc returns freed blocks above 128 KiB (adaptively up to 32 MiB) to the kernel, so every new
// activation page-faults and is zeroed again: measured here, ResNet-50 inference ran at 9 img/s with the
// defaults and 18 img/s with these. The environment's own MALLOC_* settings win; TSZOO_MALLOC_TUNING=0
// keeps glibc's defaults.
static void tuneAllocator() {
  const char* off = std::getenv("TSZOO_MALLOC_TUNING");
  if (off && std::string(off) == "0") return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_")) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  mallopt(M_TOP_PAD, 256 << 20);
}

EnvState* envState(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvState*>(data);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Deliberately never freed: tensor handles may be finalized after the environment's instance data.
  auto* st = new EnvState();
  napi_set_instance_data(env, st, nullptr, nullptr);
  static std::once_flag tuned;
  std::call_once(tuned, tuneAllocator);
  installWarningHandler();
  markJsThread();
  registerTensorFunctions(env, exports);
  registerDispatchFunctions(env, exports);
  registerAutogradFunctions(env, exports);
  registerDistributedFunctions(env, exports);
  registerDnnlPlanFunctions(env, exports);
  return exports;
}

}  // namespace tszoo

static Napi::Object InitTszoo(Napi::Env env, Napi::Object exports) { return tszoo::Init(env, exports); }

NODE_API_MODULE(tszoo, InitTszoo)
