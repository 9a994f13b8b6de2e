// Tensor handles: creation from JS memory, copies out, metadata, disposal and memory counters.
#include "common.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

namespace tszoo {

static size_t hashKey(const void* key, size_t mask) {
  auto x = reinterpret_cast<uintptr_t>(key);
  x ^= x >> 17;
  x *= 0xed5ad4bbU;
  x ^= x >> 11;
  return x & mask;
}

StorageTable::Slot& StorageTable::findOrInsert(const void* key, bool& inserted) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  size_t mask = slots_.size() - 1;
  for (size_t i = hashKey(key, mask);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key == key) {
      inserted = false;
      return s;
    }
    if (s.key == nullptr) {
      s.key = key;
      size_++;
      inserted = true;
      return s;
    }
  }
}

StorageTable::Slot* StorageTable::find(const void* key) {
  size_t mask = slots_.size() - 1;
  for (size_t i = hashKey(key, mask);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key == key) return &s;
    if (s.key == nullptr) return nullptr;
  }
}

// Backward-shift deletion keeps probe chains intact without tombstones.
void StorageTable::erase(Slot* slot) {
  size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(slot - slots_.data());
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (slots_[j].key == nullptr) break;
    size_t home = hashKey(slots_[j].key, mask);
    bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (!between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  size_--;
}

void StorageTable::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_ = 0;
  for (const Slot& s : old) {
    if (s.key == nullptr) continue;
    bool inserted;
    Slot& n = findOrInsert(s.key, inserted);
    n.handles = s.handles;
    n.bytes = s.bytes;
    n.gcHandles = s.gcHandles;
  }
}

static void finalizeBox(node_api_basic_env env, void* data, void* /*hint*/) {
  auto* box = static_cast<TensorBox*>(data);
  // Inside GC: no call into V8 (napi_adjust_external_memory here can re-enter the GC and abort);
  // the freed bytes are reported by the next call from JS.
  if (box->tensor.defined()) releaseBox(box, nullptr);
  EnvState* st = box->state;
  if (st->freeBoxes.size() < 4096) {
    box->magic = 0;
    st->freeBoxes.push_back(box);
  } else {
    delete box;
  }
}

void releaseBox(TensorBox* box, napi_env env) {  // env == nullptr: called during GC
  EnvState* st = box->state;
  st->liveHandles--;
  if (box->storageKey != nullptr) {
    StorageTable::Slot* slot = st->storages.find(box->storageKey);
    if (slot != nullptr) {
      if (box->ownedByGc && --slot->gcHandles == 0) {
        st->gcBytes -= slot->bytes;
        reportExternal(env, st, -slot->bytes);
      }
      if (--slot->handles == 0) {
        st->liveBytes -= slot->bytes;
        st->storages.erase(slot);
      }
    }
    box->storageKey = nullptr;
  }
  box->ownedByGc = false;
  box->tensor.reset();
}

void setOwnedByGc(TensorBox* box, napi_env env) {
  if (box->ownedByGc || !box->tensor.defined()) return;
  box->ownedByGc = true;
  if (box->storageKey == nullptr) return;
  EnvState* st = box->state;
  StorageTable::Slot* slot = st->storages.find(box->storageKey);
  if (slot != nullptr && slot->gcHandles++ == 0) {
    st->gcBytes += slot->bytes;
    reportExternal(env, st, slot->bytes);
  }
}

// Counts a tensor that a box now holds: handles, and bytes once per storage.
static void account(EnvState* st, TensorBox* box) {
  const at::Tensor& t = box->tensor;
  box->storageKey = nullptr;
  if (t.has_storage()) {
    const void* key = t.storage().unsafeGetStorageImpl();
    box->storageKey = key;
    bool inserted;
    StorageTable::Slot& slot = st->storages.findOrInsert(key, inserted);
    if (inserted) {
      int64_t bytes = static_cast<int64_t>(t.storage().nbytes());
      slot.handles = 1;
      slot.bytes = bytes;
      slot.gcHandles = 0;
      st->liveBytes += bytes;
    } else {
      slot.handles++;
    }
  }
  st->liveHandles++;
  st->createdHandles++;
}

napi_value wrapTensor(napi_env env, at::Tensor tensor) {
  if (!tensor.defined()) {
    napi_value nul;
    napi_get_null(env, &nul);
    return nul;
  }
  EnvState* st = envState(env);
  TensorBox* box;
  if (!st->freeBoxes.empty()) {
    box = st->freeBoxes.back();
    st->freeBoxes.pop_back();
    box->magic = kTensorMagic;
    box->tensor = std::move(tensor);
  } else {
    box = new TensorBox{kTensorMagic, std::move(tensor), st, nullptr};
  }
  account(st, box);
  if (!st->scopesOpen) setOwnedByGc(box, env);
  napi_value ext;
  if (napi_create_external(env, box, finalizeBox, nullptr, &ext) != napi_ok) {
    releaseBox(box, env);
    box->magic = 0;
    st->freeBoxes.push_back(box);
    throw Napi::Error::New(env, "tszoo: could not create a tensor handle");
  }
  return ext;
}

napi_value wrapTensorInto(napi_env env, at::Tensor tensor, napi_value slot) {
  auto* box = slot == nullptr ? nullptr : static_cast<TensorBox*>(unwrapMagic(env, slot, kTensorMagic));
  if (box == nullptr || box->tensor.defined() || !tensor.defined() || box->state != envState(env)) {
    return wrapTensor(env, std::move(tensor));
  }
  box->tensor = std::move(tensor);
  account(box->state, box);
  if (!box->state->scopesOpen) setOwnedByGc(box, env);
  return slot;
}

void reportExternal(napi_env env, EnvState* st, int64_t delta) {
  st->pendingExternal += delta;
  if (env == nullptr) return;
  if (st->pendingExternal > (int64_t(1) << 20) || st->pendingExternal < -(int64_t(1) << 20)) {
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, st->pendingExternal, &adjusted);
    st->pendingExternal = 0;
  }
}

void* unwrapMagic(napi_env env, napi_value value, uint64_t magic) {
  void* data = nullptr;
  // napi_get_value_external fails on anything that is not an External.
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    return nullptr;
  }
  return *static_cast<uint64_t*>(data) == magic ? data : nullptr;
}

bool isTensorHandle(napi_env env, napi_value value) { return unwrapMagic(env, value, kTensorMagic) != nullptr; }

static TensorBox* unwrapBox(napi_env env, napi_value value, const char* what) {
  void* data = unwrapMagic(env, value, kTensorMagic);
  if (data == nullptr) throw Napi::TypeError::New(env, std::string(what) + ": expected a Tensor");
  return static_cast<TensorBox*>(data);
}

const at::Tensor& unwrapTensor(napi_env env, napi_value value, const char* what) {
  TensorBox* box = unwrapBox(env, value, what);
  if (!box->tensor.defined()) {
    throw Napi::Error::New(env, std::string(what) + ": tensor was disposed");
  }
  return box->tensor;
}

const at::Tensor* tryUnwrapTensor(napi_env env, napi_value value, const char* what) {
  auto* box = static_cast<TensorBox*>(unwrapMagic(env, value, kTensorMagic));
  if (box == nullptr) return nullptr;
  if (!box->tensor.defined()) throw Napi::Error::New(env, std::string(what) + ": tensor was disposed");
  return &box->tensor;
}

static const struct {
  const char* name;
  at::ScalarType type;
} kScalarTypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf},
    {"bfloat16", at::kBFloat16}, {"int64", at::kLong}, {"int32", at::kInt},
    {"int16", at::kShort}, {"int8", at::kChar}, {"uint8", at::kByte},
    {"bool", at::kBool}, {"complex64", at::kComplexFloat}, {"complex128", at::kComplexDouble},
};

at::ScalarType parseScalarType(const Napi::Value& v, const char* what) {
  if (v.IsNumber()) {
    int code = v.As<Napi::Number>().Int32Value();
    if (code < 0 || code >= static_cast<int>(at::ScalarType::NumOptions)) {
      throw Napi::TypeError::New(v.Env(), std::string(what) + ": invalid dtype code " + std::to_string(code));
    }
    return static_cast<at::ScalarType>(code);
  }
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    for (const auto& e : kScalarTypes) {
      if (s == e.name) return e.type;
    }
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": unknown dtype '" + s + "'");
  }
  throw Napi::TypeError::New(v.Env(), std::string(what) + ": dtype must be a string such as 'float32'");
}

const char* scalarTypeName(at::ScalarType t) {
  for (const auto& e : kScalarTypes) {
    if (e.type == t) return e.name;
  }
  return c10::toString(t);
}

// fromBuffer(data: ArrayBufferView | ArrayBuffer, dtype, shape: number[]) -> handle (copies)
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "tensor", [&]() -> Napi::Value {
    if (info.Length() < 3) throw Napi::TypeError::New(env, "tensor: expected (data, dtype, shape)");
    const uint8_t* src = nullptr;
    size_t byteLength = 0;
    Napi::Value data = info[0];
    if (data.IsTypedArray()) {
      auto ta = data.As<Napi::TypedArray>();
      auto ab = ta.ArrayBuffer();
      src = static_cast<const uint8_t*>(ab.Data()) + ta.ByteOffset();
      byteLength = ta.ByteLength();
    } else if (data.IsDataView()) {
      auto dv = data.As<Napi::DataView>();
      src = static_cast<const uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
      byteLength = dv.ByteLength();
    } else if (data.IsArrayBuffer()) {
      auto ab = data.As<Napi::ArrayBuffer>();
      src = static_cast<const uint8_t*>(ab.Data());
      byteLength = ab.ByteLength();
    } else {
      throw Napi::TypeError::New(env, "tensor: data must be a TypedArray, Buffer, DataView or ArrayBuffer");
    }
    at::ScalarType dtype = parseScalarType(info[1], "tensor");
    if (!info[2].IsArray()) throw Napi::TypeError::New(env, "tensor: shape must be an array of integers");
    auto shapeArr = info[2].As<Napi::Array>();
    std::vector<int64_t> shape(shapeArr.Length());
    int64_t numel = 1;
    for (uint32_t i = 0; i < shapeArr.Length(); i++) {
      Napi::Value d = shapeArr[i];
      if (!d.IsNumber()) throw Napi::TypeError::New(env, "tensor: shape must be an array of integers");
      double dv = d.As<Napi::Number>().DoubleValue();
      if (dv < 0 || dv != static_cast<double>(static_cast<int64_t>(dv)) || dv > 9.0e15) {
        throw Napi::RangeError::New(env, "tensor: invalid dimension " + std::to_string(dv) + " in shape");
      }
      shape[i] = static_cast<int64_t>(dv);
      numel *= shape[i];
      if (numel > (int64_t(1) << 48)) throw Napi::RangeError::New(env, "tensor: shape too large");
    }
    size_t expected = static_cast<size_t>(numel) * c10::elementSize(dtype);
    if (expected != byteLength) {
      throw Napi::RangeError::New(env, "tensor: data has " + std::to_string(byteLength) + " bytes but shape and dtype " +
                                           scalarTypeName(dtype) + " need " + std::to_string(expected));
    }
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    if (expected > 0) std::memcpy(t.data_ptr(), src, expected);
    return Napi::Value(env, wrapTensor(env, std::move(t)));
  });
}

// toBuffer(handle) -> ArrayBuffer with a contiguous copy of the data (on CPU).
static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "toBuffer", [&]() -> Napi::Value {
    at::Tensor t = unwrapTensor(env, info[0], "toBuffer");
    if (!t.device().is_cpu()) t = t.cpu();
    if (t.is_conj()) t = t.resolve_conj();
    if (t.is_neg()) t = t.resolve_neg();
    t = t.contiguous();
    size_t bytes = t.numel() * t.element_size();
    auto ab = Napi::ArrayBuffer::New(env, bytes);
    if (bytes > 0) std::memcpy(ab.Data(), t.data_ptr(), bytes);
    return ab;
  });
}

// A dataView() keeps the storage's memory alive (not only the tensor: set_ may re-point the tensor), and
// ops that reallocate or re-point a tensor's memory (resize_, set_, ...) are refused while a view of its
// storage lives (see hasLiveViews, checked by the dispatcher), so no write through a view reaches freed memory.
struct ViewHold {
  c10::Storage storage;
};
static std::mutex viewMutex;
static std::unordered_map<const c10::StorageImpl*, int> viewCounts;

bool hasLiveViews(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return false;
  std::lock_guard<std::mutex> lock(viewMutex);
  return viewCounts.count(t.storage().unsafeGetStorageImpl()) > 0;
}

static void finalizeView(node_api_basic_env /*env*/, void* /*data*/, void* hint) {
  auto* hold = static_cast<ViewHold*>(hint);
  {
    std::lock_guard<std::mutex> lock(viewMutex);
    auto it = viewCounts.find(hold->storage.unsafeGetStorageImpl());
    if (it != viewCounts.end() && --it->second == 0) viewCounts.erase(it);
  }
  delete hold;
}

// viewBuffer(handle) -> ArrayBuffer sharing the tensor's memory (contiguous CPU tensors only).
static Napi::Value ViewBuffer(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "dataView", [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(env, info[0], "dataView");
    if (!t.device().is_cpu() || !t.is_contiguous() || t.is_conj() || t.is_neg()) {
      throw Napi::Error::New(env, "dataView: needs a contiguous CPU tensor; call contiguous() first");
    }
    size_t bytes = t.numel() * t.element_size();
    if (bytes == 0) return Napi::ArrayBuffer::New(env, 0);
    if (!t.has_storage()) throw Napi::Error::New(env, "dataView: this tensor has no storage; use data()");
    auto* hold = new ViewHold{t.storage()};
    napi_value ab;
    napi_status s = napi_create_external_arraybuffer(env, t.data_ptr(), bytes, finalizeView, hold, &ab);
    if (s != napi_ok) {
      delete hold;
      throw Napi::Error::New(env, "dataView: external ArrayBuffers are not allowed here; use toBuffer()");
    }
    std::lock_guard<std::mutex> lock(viewMutex);
    viewCounts[hold->storage.unsafeGetStorageImpl()] += 1;
    return Napi::Value(env, ab);
  });
}

static Napi::Value Dispose(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  auto* box = unwrapBox(env, info[0], "dispose");
  if (box->tensor.defined()) releaseBox(box, env);
  return info.Env().Undefined();
}

static Napi::Value OwnedByGc(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  setOwnedByGc(unwrapBox(env, info[0], "ownedByGc"), env);
  return info.Env().Undefined();
}

// setScopesOpen(open): whether any JS scope is open on this thread (the first opens, the last closes)
static Napi::Value SetScopesOpen(const Napi::CallbackInfo& info) {
  envState(info.Env())->scopesOpen = info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

static Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return Napi::Boolean::New(env, !unwrapBox(env, info[0], "isDisposed")->tensor.defined());
}

static Napi::Array toJsInts(Napi::Env env, c10::IntArrayRef v) {
  auto arr = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, double(v[i])));
  return arr;
}

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "shape", [&]() -> Napi::Value {
    return toJsInts(info.Env(), unwrapTensor(info.Env(), info[0], "shape").sizes());
  });
}

static Napi::Value Strides(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "strides", [&]() -> Napi::Value {
    return toJsInts(info.Env(), unwrapTensor(info.Env(), info[0], "strides").strides());
  });
}

static Napi::Value Dtype(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "dtype");
  return Napi::String::New(info.Env(), scalarTypeName(t.scalar_type()));
}

static Napi::Value Device(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info.Env(), info[0], "device");
  return Napi::String::New(info.Env(), t.device().str());
}

static Napi::Value Numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(unwrapTensor(info.Env(), info[0], "numel").numel()));
}

static Napi::Value Dim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(unwrapTensor(info.Env(), info[0], "dim").dim()));
}

// isContiguous(handle, memoryFormat?): 'contiguous' (default), 'channelsLast' or 'channelsLast3d'.
static Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = unwrapTensor(env, info[0], "isContiguous");
  at::MemoryFormat format = at::MemoryFormat::Contiguous;
  if (info.Length() > 1 && info[1].IsString()) {
    std::string s = info[1].As<Napi::String>().Utf8Value();
    if (s == "channelsLast") {
      format = at::MemoryFormat::ChannelsLast;
    } else if (s == "channelsLast3d") {
      format = at::MemoryFormat::ChannelsLast3d;
    } else if (s != "contiguous") {
      throw Napi::TypeError::New(env, "isContiguous: memoryFormat must be 'contiguous', 'channelsLast' or "
                                      "'channelsLast3d', got '" + s + "'");
    }
  }
  return Napi::Boolean::New(env, t.is_contiguous(format));
}

static Napi::Value Item(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "item", [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(env, info[0], "item");
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(env, double(s.toLong()));
    if (s.isComplex()) throw Napi::TypeError::New(env, "item: complex values are not supported in JS");
    return Napi::Number::New(env, s.toDouble());
  });
}

static Napi::Value SameStorage(const Napi::CallbackInfo& info) {
  const at::Tensor& a = unwrapTensor(info.Env(), info[0], "sameStorage");
  const at::Tensor& b = unwrapTensor(info.Env(), info[1], "sameStorage");
  return Napi::Boolean::New(info.Env(), a.has_storage() && b.has_storage() && a.storage().is_alias_of(b.storage()));
}

static Napi::Value Memory(const Napi::CallbackInfo& info) {
  EnvState* st = envState(info.Env());
  auto o = Napi::Object::New(info.Env());
  o.Set("tensors", Napi::Number::New(info.Env(), double(st->liveHandles)));
  o.Set("bytes", Napi::Number::New(info.Env(), double(st->liveBytes)));
  o.Set("gcBytes", Napi::Number::New(info.Env(), double(st->gcBytes)));
  o.Set("storages", Napi::Number::New(info.Env(), double(st->storages.size())));
  o.Set("created", Napi::Number::New(info.Env(), double(st->createdHandles)));
  return o;
}

void registerTensorFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer, "fromBuffer"));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer, "toBuffer"));
  exports.Set("viewBuffer", Napi::Function::New(env, ViewBuffer, "viewBuffer"));
  exports.Set("dispose", Napi::Function::New(env, Dispose, "dispose"));
  exports.Set("ownedByGc", Napi::Function::New(env, OwnedByGc, "ownedByGc"));
  exports.Set("setScopesOpen", Napi::Function::New(env, SetScopesOpen, "setScopesOpen"));
  exports.Set("isDisposed", Napi::Function::New(env, IsDisposed, "isDisposed"));
  exports.Set("shape", Napi::Function::New(env, Shape, "shape"));
  exports.Set("strides", Napi::Function::New(env, Strides, "strides"));
  exports.Set("dtype", Napi::Function::New(env, Dtype, "dtype"));
  exports.Set("device", Napi::Function::New(env, Device, "device"));
  exports.Set("numel", Napi::Function::New(env, Numel, "numel"));
  exports.Set("dim", Napi::Function::New(env, Dim, "dim"));
  exports.Set("isContiguous", Napi::Function::New(env, IsContiguous, "isContiguous"));
  exports.Set("item", Napi::Function::New(env, Item, "item"));
  exports.Set("sameStorage", Napi::Function::New(env, SameStorage, "sameStorage"));
  exports.Set("memory", Napi::Function::New(env, Memory, "memory"));
}

}  // namespace tszoo
