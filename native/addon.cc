// Entry point of the tszoo addon. Loadable in several worker threads: all state is per environment.
#include "common.h"

namespace tszoo {

EnvState* envState(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvState*>(data);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Deliberately never freed: tensor handles may be finalized after the environment's instance data.
  auto* st = new EnvState();
  napi_set_instance_data(env, st, nullptr, nullptr);
  installWarningHandler();
  markJsThread();
  registerTensorFunctions(env, exports);
  registerDispatchFunctions(env, exports);
  registerAutogradFunctions(env, exports);
  return exports;
}

}  // namespace tszoo

static Napi::Object InitTszoo(Napi::Env env, Napi::Object exports) { return tszoo::Init(env, exports); }

NODE_API_MODULE(tszoo, InitTszoo)
