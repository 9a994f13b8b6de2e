// Routes LibTorch warnings (TORCH_WARN) to Node's process.emitWarning instead of glog on stderr.
#include <c10/util/Exception.h>

#include <mutex>
#include <string>
#include <vector>

#include "common.h"

namespace tszoo {

static thread_local bool jsThread = false;
static thread_local std::vector<std::string> pending;

class QueueingHandler : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation& loc, const std::string& msg, const bool verbatim) override {
    if (jsThread && pending.size() < 64) {
      pending.push_back(msg);
    } else if (!jsThread) {
      c10::WarningHandler::process(loc, msg, verbatim);
    }
  }
};

void installWarningHandler() {
  static std::once_flag once;
  static QueueingHandler handler;
  std::call_once(once, [] { c10::Warning::set_warning_handler(&handler); });
}

void markJsThread() { jsThread = true; }

void flushWarnings(napi_env env) {
  if (pending.empty()) return;
  std::vector<std::string> messages;
  messages.swap(pending);
  napi_value global, process, emit, type;
  if (napi_get_global(env, &global) != napi_ok) return;
  if (napi_get_named_property(env, global, "process", &process) != napi_ok) return;
  if (napi_get_named_property(env, process, "emitWarning", &emit) != napi_ok) return;
  napi_create_string_utf8(env, "LibTorchWarning", NAPI_AUTO_LENGTH, &type);
  for (const auto& m : messages) {
    napi_value msg, result;
    napi_create_string_utf8(env, m.c_str(), m.size(), &msg);
    napi_value argv[2] = {msg, type};
    if (napi_call_function(env, process, emit, 2, argv, &result) != napi_ok) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
}

}  // namespace tszoo
