// Shared declarations of the tszoo addon: tensor handles, per-environment state, error translation.
#pragma once
// Also set in binding.gyp; repeated so editors see the same configuration.
#ifndef NAPI_EXPERIMENTAL
#define NAPI_EXPERIMENTAL  // basic finalizers run during GC, so undisposed tensors free promptly
#endif
#ifndef NAPI_CPP_EXCEPTIONS
#define NAPI_CPP_EXCEPTIONS
#endif
#ifndef NODE_ADDON_API_CPP_EXCEPTIONS_ALL
#define NODE_ADDON_API_CPP_EXCEPTIONS_ALL  // any std::exception that escapes becomes a JS Error
#endif
#ifndef NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS  // a terminating worker must not abort the process
#endif
#include <napi.h>

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tszoo {

// Per Node environment (main thread or one worker) counters of the tensors JS holds.
// Bytes are counted once per storage, however many handles (views) share it.
// Open-addressing map from storage to (handles, bytes): no allocation per tensor, unlike std::unordered_map.
class StorageTable {
 public:
  struct Slot {
    const void* key = nullptr;
    int64_t handles = 0;
    int64_t bytes = 0;
    int64_t gcHandles = 0;  // handles the GC may free (no scope owns them): V8 is told `bytes` while > 0
  };
  // Returns the slot for key, inserting an empty one if absent; `inserted` tells which.
  Slot& findOrInsert(const void* key, bool& inserted);
  Slot* find(const void* key);
  void erase(Slot* slot);
  size_t size() const { return size_; }

 private:
  void grow();
  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  size_t size_ = 0;
};

struct TensorBox;

struct EnvState {
  int64_t liveHandles = 0;
  int64_t liveBytes = 0;
  int64_t gcBytes = 0;  // the part of liveBytes that V8 is told of (see ownedByGc)
  int64_t createdHandles = 0;
  StorageTable storages;
  std::vector<TensorBox*> freeBoxes;  // recycled boxes, to spare malloc on every op
  std::vector<c10::IValue> stack;     // reused by every boxed call of this environment
  int64_t pendingExternal = 0;  // bytes not yet reported to V8 (reported in chunks to keep small ops cheap)
  bool scopesOpen = false;      // set by JS: while no scope is open, every new handle is owned by the GC
};

// What a JS tensor handle (an External) points to. `tensor` is reset by dispose(); the box
// itself lives until the External is garbage collected.
constexpr uint64_t kTensorMagic = 0x7a7e5a0011c0ffeeULL;
constexpr uint64_t kOpMagic = 0x7a7e5a0022c0ffeeULL;

// Every External this addon creates starts with a magic word, so a foreign value is rejected, not misread.
struct TensorBox {
  uint64_t magic = kTensorMagic;
  at::Tensor tensor;
  EnvState* state;
  const void* storageKey = nullptr;
  bool ownedByGc = false;  // no JS scope owns it: only dispose() or the GC frees it
};

EnvState* envState(napi_env env);

// Wraps a tensor in a new handle; an undefined tensor becomes null.
napi_value wrapTensor(napi_env env, at::Tensor tensor);
// Like wrapTensor, but puts the tensor into `slot` (an empty handle recycled by JS after dispose) when it
// is one, sparing V8 a new External and weak reference on every op. Falls back to a new handle.
napi_value wrapTensorInto(napi_env env, at::Tensor tensor, napi_value slot);
// The tensor behind a handle; throws a JS-facing error naming `what` if the value is not a live handle.
const at::Tensor& unwrapTensor(napi_env env, napi_value value, const char* what);
// Like unwrapTensor, but returns nullptr for a value that is not a tensor handle (disposed still throws).
const at::Tensor* tryUnwrapTensor(napi_env env, napi_value value, const char* what);
bool isTensorHandle(napi_env env, napi_value value);
// env is null when called from a GC finalizer, where V8 must not be called.
void releaseBox(TensorBox* box, napi_env env);
// Marks a live handle as freed only by dispose() or the GC, and tells V8 its storage's bytes (once per
// storage). Handles that a JS scope owns are never reported: the scope frees them, and V8 counting their
// bytes only made it collect (in vain) on every pass that allocates more than 64 MiB.
void setOwnedByGc(TensorBox* box, napi_env env);
// The box behind an External made by this addon with the given magic, or nullptr.
void* unwrapMagic(napi_env env, napi_value value, uint64_t magic);
// Queues a change of native bytes; reports to V8 in chunks, and never when env is null (GC).
void reportExternal(napi_env env, EnvState* st, int64_t delta);


at::ScalarType parseScalarType(const Napi::Value& v, const char* what);
const char* scalarTypeName(at::ScalarType t);

// Runs body, turning every C++ exception into a JS Error prefixed with `where`.
template <typename F>
auto guarded(napi_env env, const char* where, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what());
  } catch (...) {
    throw Napi::Error::New(env, std::string(where) + ": unknown native error");
  }
}

// LibTorch warnings raised on a JS thread are queued and re-emitted as process warnings
// ('LibTorchWarning') after the call that raised them; other threads print them to stderr.
void installWarningHandler();
void markJsThread();
void flushWarnings(napi_env env);

// Whether a dataView() of the tensor's storage is alive (ops that reallocate it are then refused).
bool hasLiveViews(const at::Tensor& t);

void registerTensorFunctions(Napi::Env env, Napi::Object exports);
void registerDispatchFunctions(Napi::Env env, Napi::Object exports);
void registerAutogradFunctions(Napi::Env env, Napi::Object exports);
void registerDistributedFunctions(Napi::Env env, Napi::Object exports);
void registerDnnlPlanFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tszoo
