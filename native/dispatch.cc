// Boxed calls of any ATen operator by schema name, with marshalling of JS arguments and results.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <cmath>
#include <sstream>

namespace tszoo {

enum class Kind {
  Tensor, TensorList, OptTensorList, Int, IntList, Float, FloatList, Bool, BoolList, Scalar,
  ScalarType, Layout, Device, MemoryFormat, String, Generator, Object, Unsupported
};

// A TorchScript custom-class object (mkldnn_prepacked's ConvOpContext, ...) held by JS as an opaque handle:
// an External whose box keeps the IValue alive until dispose() or garbage collection.
constexpr uint64_t kObjectMagic = 0x7a7e5a0055c0ffeeULL;
struct ObjectBox {
  uint64_t magic = kObjectMagic;
  c10::IValue value;  // None once disposed
};

static void finalizeObject(node_api_basic_env, void* data, void*) { delete static_cast<ObjectBox*>(data); }

static napi_value wrapObject(napi_env env, const c10::IValue& v) {
  auto* box = new ObjectBox{kObjectMagic, v};
  napi_value ext;
  if (napi_create_external(env, box, finalizeObject, nullptr, &ext) != napi_ok) {
    delete box;
    throw Napi::Error::New(env, "cannot create a script object handle");
  }
  return ext;
}

struct ArgSpec {
  std::string name;
  std::string type;
  Kind kind;
  bool optional;
  int64_t n;  // fixed list length (int[2]) or 0
  bool kwargOnly;
  c10::optional<c10::IValue> defaultValue;
  int aliasSet = -1;  // index into the op's alias names for writable (a!) arguments
  std::string className;  // Kind::Object: the class the argument must be
};

// Unboxed call shapes for the commonest pure ops (elementwise, matmul): skipping the IValue stack
// saves a few hundred nanoseconds per call. T = Tensor, S = Scalar; all return a new Tensor.
enum class Fast { None, T, TT, TTS, TS, TSS };
using SigT = at::Tensor(const at::Tensor&);
using SigTT = at::Tensor(const at::Tensor&, const at::Tensor&);
using SigTTS = at::Tensor(const at::Tensor&, const at::Tensor&, const at::Scalar&);
using SigTS = at::Tensor(const at::Tensor&, const at::Scalar&);
using SigTSS = at::Tensor(const at::Tensor&, const at::Scalar&, const at::Scalar&);

struct OpEntry {
  uint64_t magic = kOpMagic;
  c10::OperatorHandle handle;
  std::string fullName;
  std::vector<ArgSpec> args;
  std::vector<int> returnAliasArg;  // for each return: input index it writes into, or -1
  size_t numReturns;
  Fast fast = Fast::None;
  // resize_, set_, ...: replace the memory of their first argument (refused while a dataView() of it lives)
  bool reallocates = false;
  c10::optional<c10::TypedOperatorHandle<SigT>> opT;
  c10::optional<c10::TypedOperatorHandle<SigTT>> opTT;
  c10::optional<c10::TypedOperatorHandle<SigTTS>> opTTS;
  c10::optional<c10::TypedOperatorHandle<SigTS>> opTS;
  c10::optional<c10::TypedOperatorHandle<SigTSS>> opTSS;
  explicit OpEntry(c10::OperatorHandle h) : handle(std::move(h)), numReturns(0) {}
};

static Kind kindOf(const c10::TypePtr& t) {
  switch (t->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return Kind::Int;
    case c10::TypeKind::FloatType: return Kind::Float;
    case c10::TypeKind::BoolType: return Kind::Bool;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::ScalarTypeType: return Kind::ScalarType;
    case c10::TypeKind::LayoutType: return Kind::Layout;
    case c10::TypeKind::MemoryFormatType: return Kind::MemoryFormat;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::StringType: return Kind::String;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ClassType: return Kind::Object;
    case c10::TypeKind::ListType: {
      const auto& elem = t->castRaw<c10::ListType>()->getElementType();
      switch (elem->kind()) {
        case c10::TypeKind::TensorType: return Kind::TensorList;
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return Kind::IntList;
        case c10::TypeKind::FloatType: return Kind::FloatList;
        case c10::TypeKind::BoolType: return Kind::BoolList;
        case c10::TypeKind::OptionalType:
          if (elem->castRaw<c10::OptionalType>()->getElementType()->kind() == c10::TypeKind::TensorType) {
            return Kind::OptTensorList;
          }
          return Kind::Unsupported;
        default: return Kind::Unsupported;
      }
    }
    default: return Kind::Unsupported;
  }
}

static const char* kindName(Kind k) {
  switch (k) {
    case Kind::Tensor: return "Tensor";
    case Kind::TensorList: return "Tensor[]";
    case Kind::OptTensorList: return "Tensor?[]";
    case Kind::Int: return "int";
    case Kind::IntList: return "int[]";
    case Kind::Float: return "float";
    case Kind::FloatList: return "float[]";
    case Kind::Bool: return "bool";
    case Kind::BoolList: return "bool[]";
    case Kind::Scalar: return "Scalar";
    case Kind::ScalarType: return "ScalarType";
    case Kind::Layout: return "Layout";
    case Kind::Device: return "Device";
    case Kind::MemoryFormat: return "MemoryFormat";
    case Kind::String: return "str";
    case Kind::Generator: return "Generator";
    case Kind::Object: return "object";
    default: return "unsupported";
  }
}

static void chooseFastPath(OpEntry* e) {
  const c10::FunctionSchema& s = e->handle.schema();
  if (s.returns().size() != 1 || s.returns()[0].type()->kind() != c10::TypeKind::TensorType) return;
  if (s.returns()[0].alias_info() != nullptr && s.returns()[0].alias_info()->isWrite()) return;
  std::string shape;
  for (size_t i = 0; i < s.arguments().size(); i++) {
    const ArgSpec& a = e->args[i];
    const c10::AliasInfo* ai = s.arguments()[i].alias_info();
    if (a.optional || (ai != nullptr && ai->isWrite())) return;
    if (a.kind == Kind::Tensor) {
      shape += 'T';
    } else if (a.kind == Kind::Scalar) {
      shape += 'S';
    } else {
      return;
    }
  }
  // typed() checks the C++ signature; a mismatch just leaves the boxed path.
  try {
    if (shape == "T") {
      e->opT = e->handle.typed<SigT>();
      e->fast = Fast::T;
    } else if (shape == "TT") {
      e->opTT = e->handle.typed<SigTT>();
      e->fast = Fast::TT;
    } else if (shape == "TTS") {
      e->opTTS = e->handle.typed<SigTTS>();
      e->fast = Fast::TTS;
    } else if (shape == "TS") {
      e->opTS = e->handle.typed<SigTS>();
      e->fast = Fast::TS;
    } else if (shape == "TSS") {
      e->opTSS = e->handle.typed<SigTSS>();
      e->fast = Fast::TSS;
    }
  } catch (const std::exception&) {
    e->fast = Fast::None;
  }
}

static OpEntry* buildEntry(const c10::OperatorHandle& h) {
  auto* e = new OpEntry(h);
  const c10::FunctionSchema& s = h.schema();
  e->fullName = s.name() + (s.overload_name().empty() ? "" : "." + s.overload_name());
  e->reallocates = s.name() == "aten::resize_" || s.name() == "aten::resize_as_" || s.name() == "aten::set_" ||
                   s.name() == "aten::_resize_output_" || s.name() == "aten::resize_as_sparse_";
  for (const auto& a : s.arguments()) {
    ArgSpec spec;
    spec.name = a.name();
    spec.type = a.real_type()->str();
    c10::TypePtr t = a.real_type();
    spec.optional = false;
    if (t->kind() == c10::TypeKind::OptionalType) {
      spec.optional = true;
      t = t->castRaw<c10::OptionalType>()->getElementType();
    }
    spec.kind = kindOf(t);
    if (spec.kind == Kind::Object) spec.className = t->str();
    spec.n = a.N() ? *a.N() : 0;
    spec.kwargOnly = a.kwarg_only();
    spec.defaultValue = a.default_value();
    e->args.push_back(std::move(spec));
  }
  const auto& rets = s.returns();
  e->numReturns = rets.size();
  for (const auto& r : rets) {
    int alias = -1;
    const c10::AliasInfo* ri = r.alias_info();
    if (ri != nullptr && ri->isWrite()) {
      for (size_t i = 0; i < s.arguments().size(); i++) {
        const c10::AliasInfo* ai = s.arguments()[i].alias_info();
        if (ai != nullptr && ai->isWrite() && ai->beforeSets() == ri->beforeSets()) {
          alias = static_cast<int>(i);
          break;
        }
      }
    }
    e->returnAliasArg.push_back(alias);
  }
  chooseFastPath(e);
  return e;
}

static void finalizeOp(node_api_basic_env, void* data, void*) { delete static_cast<OpEntry*>(data); }

static OpEntry* unwrapOp(napi_env env, napi_value v) {
  void* data = unwrapMagic(env, v, kOpMagic);
  if (data == nullptr) throw Napi::TypeError::New(env, "callOp: expected an operator handle from findOp()");
  return static_cast<OpEntry*>(data);
}

static std::string qualify(const std::string& name) {
  return name.find("::") == std::string::npos ? "aten::" + name : name;
}

// findOp(name, overload = "") -> op handle, or throws if no such schema.
static Napi::Value FindOp(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "findOp: name must be a string");
  std::string name = qualify(info[0].As<Napi::String>().Utf8Value());
  std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  auto h = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!h) {
    throw Napi::Error::New(env, "unknown operator " + name + (overload.empty() ? "" : "." + overload));
  }
  OpEntry* e = buildEntry(*h);
  napi_value ext;
  napi_create_external(env, e, finalizeOp, nullptr, &ext);
  return Napi::Value(env, ext);
}

static Napi::Value ivalueToJs(napi_env env, const c10::IValue& v, const std::string& where);

static Napi::Value defaultToJs(napi_env env, const c10::IValue& v) {
  try {
    return ivalueToJs(env, v, "default");
  } catch (const Napi::Error&) {
    std::ostringstream os;
    os << v;
    return Napi::String::New(env, os.str());
  }
}

static Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OpEntry* e = unwrapOp(env, info[0]);
  const c10::FunctionSchema& s = e->handle.schema();
  auto o = Napi::Object::New(env);
  o.Set("name", s.name());
  o.Set("overload", s.overload_name());
  std::ostringstream os;
  os << s;
  o.Set("schema", os.str());
  auto args = Napi::Array::New(env, e->args.size());
  for (size_t i = 0; i < e->args.size(); i++) {
    const ArgSpec& a = e->args[i];
    auto ao = Napi::Object::New(env);
    ao.Set("name", a.name);
    ao.Set("type", a.type);
    ao.Set("kind", kindName(a.kind));
    ao.Set("optional", a.optional);
    ao.Set("kwargOnly", a.kwargOnly);
    ao.Set("n", Napi::Number::New(env, double(a.n)));
    ao.Set("hasDefault", a.defaultValue.has_value());
    if (a.defaultValue) ao.Set("default", defaultToJs(env, *a.defaultValue));
    const c10::AliasInfo* ai = s.arguments()[i].alias_info();
    ao.Set("mutable", ai != nullptr && ai->isWrite());
    args.Set(static_cast<uint32_t>(i), ao);
  }
  o.Set("args", args);
  auto rets = Napi::Array::New(env, s.returns().size());
  for (size_t i = 0; i < s.returns().size(); i++) {
    auto ro = Napi::Object::New(env);
    ro.Set("name", s.returns()[i].name());
    ro.Set("type", s.returns()[i].type()->str());
    ro.Set("aliasOfArg", Napi::Number::New(env, e->returnAliasArg[i]));
    rets.Set(static_cast<uint32_t>(i), ro);
  }
  o.Set("returns", rets);
  return o;
}

// listSchemas() -> every registered operator schema as a string.
static Napi::Value ListSchemas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& d = c10::Dispatcher::singleton();
  std::vector<std::string> out;
  for (const auto& n : d.getAllOpNames()) {
    auto h = d.findSchema(n);
    if (!h) continue;
    std::ostringstream os;
    os << h->schema();
    out.push_back(os.str());
  }
  std::sort(out.begin(), out.end());
  auto arr = Napi::Array::New(env, out.size());
  for (size_t i = 0; i < out.size(); i++) arr.Set(static_cast<uint32_t>(i), out[i]);
  return arr;
}

[[noreturn]] static void badArg(napi_env env, const OpEntry* e, const ArgSpec& a, const std::string& why) {
  throw Napi::TypeError::New(env, e->fullName + ": argument '" + a.name + "' (" + a.type + ") " + why);
}

static int64_t toInt(napi_env env, const OpEntry* e, const ArgSpec& a, const Napi::Value& v) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9007199254740991.0) {
      badArg(env, e, a, "must be an integer, got " + v.ToString().Utf8Value());
    }
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) badArg(env, e, a, "is out of int64 range");
    return x;
  }
  badArg(env, e, a, "must be an integer");
}

static double toFloat(napi_env env, const OpEntry* e, const ArgSpec& a, const Napi::Value& v) {
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (v.IsBigInt()) {
    bool lossless = false;
    return static_cast<double>(v.As<Napi::BigInt>().Int64Value(&lossless));
  }
  badArg(env, e, a, "must be a number");
}

static c10::IValue toIValue(napi_env env, const OpEntry* e, const ArgSpec& a, const Napi::Value& v) {
  switch (a.kind) {
    case Kind::Tensor: {
      const at::Tensor* t = tryUnwrapTensor(env, v, e->fullName.c_str());
      if (t == nullptr) badArg(env, e, a, "must be a Tensor");
      return *t;
    }
    case Kind::TensorList:
    case Kind::OptTensorList: {
      if (!v.IsArray()) badArg(env, e, a, "must be an array of Tensors");
      auto arr = v.As<Napi::Array>();
      uint32_t n = arr.Length();
      if (a.kind == Kind::TensorList) {
        std::vector<at::Tensor> ts;
        ts.reserve(n);
        for (uint32_t i = 0; i < n; i++) {
          Napi::Value x = arr[i];
          const at::Tensor* t = tryUnwrapTensor(env, x, e->fullName.c_str());
          if (t == nullptr) badArg(env, e, a, "element " + std::to_string(i) + " must be a Tensor");
          ts.push_back(*t);
        }
        return c10::IValue(ts);
      }
      c10::List<c10::optional<at::Tensor>> ts;
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value x = arr[i];
        if (x.IsNull() || x.IsUndefined()) {
          ts.push_back(c10::nullopt);
        } else {
          const at::Tensor* t = tryUnwrapTensor(env, x, e->fullName.c_str());
          if (t == nullptr) badArg(env, e, a, "element " + std::to_string(i) + " must be a Tensor or null");
          ts.push_back(*t);
        }
      }
      return c10::IValue(ts);
    }
    case Kind::Int: return c10::IValue(toInt(env, e, a, v));
    case Kind::IntList: {
      std::vector<int64_t> xs;
      if (v.IsNumber() || v.IsBigInt()) {
        xs.assign(a.n > 0 ? a.n : 1, toInt(env, e, a, v));
      } else if (v.IsArray()) {
        auto arr = v.As<Napi::Array>();
        xs.reserve(arr.Length());
        for (uint32_t i = 0; i < arr.Length(); i++) xs.push_back(toInt(env, e, a, arr.Get(i)));
      } else {
        badArg(env, e, a, "must be an integer or an array of integers");
      }
      // As in PyTorch, int[N] only means a single int expands to N values; kernels check list lengths.
      return c10::IValue(xs);
    }
    case Kind::Float: return c10::IValue(toFloat(env, e, a, v));
    case Kind::FloatList: {
      std::vector<double> xs;
      if (v.IsNumber()) {
        xs.assign(a.n > 0 ? a.n : 1, toFloat(env, e, a, v));
      } else if (v.IsArray()) {
        auto arr = v.As<Napi::Array>();
        for (uint32_t i = 0; i < arr.Length(); i++) xs.push_back(toFloat(env, e, a, arr.Get(i)));
      } else {
        badArg(env, e, a, "must be a number or an array of numbers");
      }
      return c10::IValue(xs);
    }
    case Kind::Bool:
      if (!v.IsBoolean()) badArg(env, e, a, "must be a boolean");
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case Kind::BoolList: {
      if (!v.IsArray()) badArg(env, e, a, "must be an array of booleans");
      auto arr = v.As<Napi::Array>();
      c10::List<bool> xs;
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Value x = arr[i];
        if (!x.IsBoolean()) badArg(env, e, a, "must be an array of booleans");
        xs.push_back(x.As<Napi::Boolean>().Value());
      }
      return c10::IValue(xs);
    }
    case Kind::Scalar: {
      if (v.IsBoolean()) return c10::IValue(at::Scalar(v.As<Napi::Boolean>().Value()));
      if (v.IsBigInt()) return c10::IValue(at::Scalar(toInt(env, e, a, v)));
      if (v.IsNumber()) {
        double d = v.As<Napi::Number>().DoubleValue();
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740991.0) {
          return c10::IValue(at::Scalar(static_cast<int64_t>(d)));
        }
        return c10::IValue(at::Scalar(d));
      }
      badArg(env, e, a, "must be a number or boolean");
    }
    case Kind::ScalarType:
      return c10::IValue(static_cast<int64_t>(parseScalarType(v, (e->fullName + " " + a.name).c_str())));
    case Kind::Layout: {
      if (v.IsString() && v.As<Napi::String>().Utf8Value() == "strided") return c10::IValue(int64_t(at::kStrided));
      if (v.IsString() && v.As<Napi::String>().Utf8Value() == "sparse") return c10::IValue(int64_t(at::kSparse));
      badArg(env, e, a, "must be 'strided' or 'sparse'");
    }
    case Kind::MemoryFormat: {
      std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
      if (s == "contiguous") return c10::IValue(int64_t(at::MemoryFormat::Contiguous));
      if (s == "preserve") return c10::IValue(int64_t(at::MemoryFormat::Preserve));
      if (s == "channelsLast") return c10::IValue(int64_t(at::MemoryFormat::ChannelsLast));
      if (s == "channelsLast3d") return c10::IValue(int64_t(at::MemoryFormat::ChannelsLast3d));
      badArg(env, e, a, "must be 'contiguous', 'preserve', 'channelsLast' or 'channelsLast3d'");
    }
    case Kind::Device: {
      if (!v.IsString()) badArg(env, e, a, "must be a device string such as 'cpu'");
      std::string name = v.As<Napi::String>().Utf8Value();
      try {
        return c10::IValue(c10::Device(name));
      } catch (const c10::Error&) {
        badArg(env, e, a, "must be a device such as 'cpu', got '" + name + "'");
      }
    }
    case Kind::String:
      if (!v.IsString()) badArg(env, e, a, "must be a string");
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case Kind::Generator: badArg(env, e, a, "is not supported from JS (pass null to use the default generator)");
    case Kind::Object: {
      auto* box = static_cast<ObjectBox*>(unwrapMagic(env, v, kObjectMagic));
      if (box == nullptr) badArg(env, e, a, "must be a script object handle returned by an operator");
      if (box->value.isNone()) badArg(env, e, a, "is a disposed script object");
      std::string got = box->value.type()->str();
      if (got != a.className) badArg(env, e, a, "must be a " + a.className + ", got a " + got);
      return box->value;
    }
    default: badArg(env, e, a, "has a type tszoo cannot pass from JS");
  }
}

static Napi::Value ivalueToJs(napi_env env, const c10::IValue& v, const std::string& where) {
  if (v.isTensor()) return Napi::Value(env, wrapTensor(env, v.toTensor()));
  if (v.isNone()) return Napi::Env(env).Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, double(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isObject()) return Napi::Value(env, wrapObject(env, v));
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Value(env, wrapTensor(env, list.get(i))));
    return arr;
  }
  if (v.isIntList()) {
    auto list = v.toIntList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, double(list.get(i))));
    return arr;
  }
  if (v.isDoubleList()) {
    auto list = v.toDoubleList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, list.get(i)));
    return arr;
  }
  if (v.isBoolList()) {
    auto list = v.toBoolList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Boolean::New(env, list.get(i)));
    return arr;
  }
  if (v.isList()) {
    auto list = v.toListRef();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), ivalueToJs(env, list[i], where));
    return arr;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto arr = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) arr.Set(static_cast<uint32_t>(i), ivalueToJs(env, elems[i], where));
    return arr;
  }
  throw Napi::TypeError::New(env, where + ": cannot return a value of type " + v.tagKind() + " to JS");
}

// A JS number or boolean as a Scalar, as the boxed path converts it; false if v is neither.
static bool jsScalar(const Napi::Value& v, at::Scalar& out) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740991.0) {
      out = at::Scalar(static_cast<int64_t>(d));
    } else {
      out = at::Scalar(d);
    }
    return true;
  }
  if (v.IsBoolean()) {
    out = at::Scalar(v.As<Napi::Boolean>().Value());
    return true;
  }
  return false;
}

// oneDNN divides by tensor sizes: an empty tensor in the mkldnn layout reaching one of its kernels raises
// SIGFPE and kills the process (seen: adaptive_avg_pool2d of a [1, 16, 0, 4] mkldnn tensor). Such
// arguments are refused before the call; to_dense may still take them back to the dense layout.
static void refuseEmptyMkldnn(napi_env env, const OpEntry* e, const at::Tensor& t) {
  if (t.defined() && t.is_mkldnn() && t.numel() == 0 && e->fullName.rfind("aten::to_dense", 0) != 0) {
    throw Napi::Error::New(env, e->fullName + ": an empty tensor in the mkldnn layout (shape " +
                                    c10::str(t.sizes()) + ") cannot go to oneDNN; use the dense layout");
  }
}

// Operators whose kernels trust arguments the schema cannot constrain: a zero stride makes oneDNN divide by
// zero (SIGFPE kills the process) and conv2d_run reads a 4-d shape from any input. Checked before the call.
static void refuseUnsafeArguments(napi_env env, const OpEntry* e, const torch::jit::Stack& stack) {
  auto fail = [&](const std::string& why) { throw Napi::Error::New(env, e->fullName + ": " + why); };
  if (e->fullName == "mkldnn_prepacked::conv2d_prepack" && stack.size() == 8) {
    // (W, B, stride, padding, dilation, groups, input_size, attr)
    auto atLeast = [&](size_t i, const char* what, int64_t min) {
      if (!stack[i].isIntList()) return;
      for (int64_t v : stack[i].toIntVector()) {
        if (v < min) fail(std::string(what) + " must be >= " + std::to_string(min) + ", got " + std::to_string(v));
      }
    };
    atLeast(2, "stride", 1);
    atLeast(3, "padding", 0);
    atLeast(4, "dilation", 1);
    atLeast(6, "input_size", 1);
    if (stack[5].isInt() && stack[5].toInt() < 1) fail("groups must be >= 1, got " + std::to_string(stack[5].toInt()));
    if (stack[0].isTensor() && stack[0].toTensor().dim() != 4) {
      fail("weight must be 4-d, got " + std::to_string(stack[0].toTensor().dim()) + "-d");
    }
    // the kernel reads one bias value per output channel
    if (stack[0].isTensor() && stack[1].isTensor() &&
        (stack[1].toTensor().dim() != 1 || stack[1].toTensor().numel() != stack[0].toTensor().size(0))) {
      fail("bias must be 1-d with one value per output channel (" + std::to_string(stack[0].toTensor().size(0)) +
           "), got shape " + c10::str(stack[1].toTensor().sizes()));
    }
  } else if (e->fullName == "mkldnn_prepacked::conv2d_run" && !stack.empty() && stack[0].isTensor()) {
    if (stack[0].toTensor().dim() != 4) fail("input must be 4-d, got " + std::to_string(stack[0].toTensor().dim()) + "-d");
  }
}

// The unboxed call for ops with a Fast shape; returns an empty value when the JS arguments do not fit
// exactly (then the boxed path runs and gives its precise errors).
static napi_value tryFastCall(napi_env env, OpEntry* e, const Napi::CallbackInfo& info, size_t base,
                              napi_value slot) {
  size_t given = info.Length() - base;
  size_t n = e->args.size();
  const at::Tensor* t[2] = {nullptr, nullptr};
  at::Scalar sc[2];
  size_t nt = 0;
  size_t ns = 0;
  for (size_t i = 0; i < n; i++) {
    Napi::Value v = i < given ? info[i + base] : Napi::Env(env).Undefined();
    if (e->args[i].kind == Kind::Tensor) {
      t[nt] = tryUnwrapTensor(env, v, e->fullName.c_str());
      if (t[nt] == nullptr) return nullptr;
      refuseEmptyMkldnn(env, e, *t[nt]);
      nt++;
    } else if (v.IsUndefined()) {
      if (!e->args[i].defaultValue) return nullptr;
      sc[ns++] = e->args[i].defaultValue->toScalar();
    } else if (!jsScalar(v, sc[ns++])) {
      return nullptr;
    }
  }
  return guarded(env, e->fullName.c_str(), [&]() -> napi_value {
    switch (e->fast) {
      case Fast::T: return wrapTensorInto(env, e->opT->call(*t[0]), slot);
      case Fast::TT: return wrapTensorInto(env, e->opTT->call(*t[0], *t[1]), slot);
      case Fast::TTS: return wrapTensorInto(env, e->opTTS->call(*t[0], *t[1], sc[0]), slot);
      case Fast::TS: return wrapTensorInto(env, e->opTS->call(*t[0], sc[0]), slot);
      case Fast::TSS: return wrapTensorInto(env, e->opTSS->call(*t[0], sc[0], sc[1]), slot);
      default: return nullptr;
    }
  });
}

// Calls the op with the JS arguments from info[base] on; a single Tensor result goes into `slot` when given.
static Napi::Value callWith(const Napi::CallbackInfo& info, OpEntry* e, size_t base, napi_value slot) {
  napi_env env = info.Env();
  struct FlushOnExit {
    napi_env env;
    ~FlushOnExit() { flushWarnings(env); }
  } flushOnExit{env};
  if (e->fast != Fast::None && !e->reallocates && info.Length() - base <= e->args.size()) {
    napi_value r = tryFastCall(env, e, info, base, slot);
    if (r != nullptr) return Napi::Value(env, r);
  }
  size_t given = info.Length() - base;
  if (given > e->args.size()) {
    throw Napi::TypeError::New(env, e->fullName + ": takes " + std::to_string(e->args.size()) + " arguments, got " +
                                        std::to_string(given));
  }
  // One reusable stack per environment: no allocation per call. Cleared on every exit path.
  // (Calls never nest: ops do not call back into JS.)
  torch::jit::Stack& stack = envState(env)->stack;
  stack.clear();
  struct ClearOnExit {
    torch::jit::Stack& s;
    ~ClearOnExit() { s.clear(); }
  } clearOnExit{stack};
  for (size_t i = 0; i < e->args.size(); i++) {
    const ArgSpec& a = e->args[i];
    Napi::Value v = info[i + base];
    if (v.IsUndefined()) {
      if (a.defaultValue) {
        stack.push_back(*a.defaultValue);
        continue;
      }
      if (a.optional) {
        stack.emplace_back();
        continue;
      }
      badArg(env, e, a, "is required");
    }
    if (v.IsNull()) {
      if (!a.optional) badArg(env, e, a, "cannot be null");
      stack.emplace_back();
      continue;
    }
    stack.push_back(toIValue(env, e, a, v));
  }
  for (const c10::IValue& iv : stack) {
    if (iv.isTensor()) {
      refuseEmptyMkldnn(env, e, iv.toTensor());
    } else if (iv.isTensorList()) {
      const c10::List<at::Tensor> list = iv.toTensorList();
      for (size_t j = 0; j < list.size(); j++) refuseEmptyMkldnn(env, e, list.get(j));
    }
  }
  refuseUnsafeArguments(env, e, stack);
  if (e->reallocates && !stack.empty() && stack[0].isTensor() && hasLiveViews(stack[0].toTensor())) {
    throw Napi::Error::New(env, e->fullName +
                                    ": the tensor's memory is shared with a live dataView(); it cannot be reallocated "
                                    "or re-pointed while the view exists (copy the data with data() instead)");
  }
  guarded(env, e->fullName.c_str(), [&]() { e->handle.callBoxed(&stack); });
  if (stack.size() != e->numReturns) {
    throw Napi::Error::New(env, e->fullName + ": operator returned an unexpected number of values");
  }
  auto result = [&](size_t i) -> Napi::Value {
    int alias = e->returnAliasArg[i];
    if (alias >= 0 && isTensorHandle(env, info[alias + base])) return info[alias + base];
    if (e->numReturns == 1 && stack[i].isTensor()) return Napi::Value(env, wrapTensorInto(env, stack[i].toTensor(), slot));
    return ivalueToJs(env, stack[i], e->fullName);
  };
  if (e->numReturns == 0) return Napi::Env(env).Undefined();
  if (e->numReturns == 1) return result(0);
  auto arr = Napi::Array::New(env, e->numReturns);
  for (size_t i = 0; i < e->numReturns; i++) arr.Set(static_cast<uint32_t>(i), result(i));
  return arr;
}

// callOp(op, ...args) -> result. Missing (undefined) arguments take the schema default.
// A single return is returned as is; several as an array.
static Napi::Value CallOp(const Napi::CallbackInfo& info) {
  return callWith(info, unwrapOp(info.Env(), info[0]), 1, nullptr);
}

// callOpInto(slot, op, ...args): as callOp, reusing `slot` (an empty tensor handle) for a Tensor result.
static Napi::Value CallOpInto(const Napi::CallbackInfo& info) {
  napi_value slot = info[0].IsUndefined() ? nullptr : static_cast<napi_value>(info[0]);
  return callWith(info, unwrapOp(info.Env(), info[1]), 2, slot);
}

// scriptObjectType(handle) -> the class name of a script object handle, or null for any other value.
static Napi::Value ScriptObjectType(const Napi::CallbackInfo& info) {
  auto* box = static_cast<ObjectBox*>(unwrapMagic(info.Env(), info[0], kObjectMagic));
  if (box == nullptr || box->value.isNone()) return info.Env().Null();
  return Napi::String::New(info.Env(), box->value.type()->str());
}

// disposeScriptObject(handle): releases the object now (its memory, e.g. packed weights) instead of at GC.
static Napi::Value DisposeScriptObject(const Napi::CallbackInfo& info) {
  auto* box = static_cast<ObjectBox*>(unwrapMagic(info.Env(), info[0], kObjectMagic));
  if (box == nullptr) throw Napi::TypeError::New(info.Env(), "disposeScriptObject: expected a script object handle");
  box->value = c10::IValue();
  return info.Env().Undefined();
}

void registerDispatchFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("scriptObjectType", Napi::Function::New(env, ScriptObjectType, "scriptObjectType"));
  exports.Set("disposeScriptObject", Napi::Function::New(env, DisposeScriptObject, "disposeScriptObject"));
  exports.Set("findOp", Napi::Function::New(env, FindOp, "findOp"));
  exports.Set("opSchema", Napi::Function::New(env, OpSchema, "opSchema"));
  exports.Set("listSchemas", Napi::Function::New(env, ListSchemas, "listSchemas"));
  exports.Set("callOp", Napi::Function::New(env, CallOp, "callOp"));
  exports.Set("callOpInto", Napi::Function::New(env, CallOpInto, "callOpInto"));
}

}  // namespace tszoo
