// A whole inference graph as oneDNN primitives, built once per input shape: convolutions with their
// activation and a residual add fused as post-ops, pools, concatenation and a final inner product, all
// activations in the blocked nChw16c layout with no reorders between them, weights reordered once.
// In bfloat16 activations and weights are bfloat16 (oneDNN accumulates in float32) and the layouts are
// oneDNN's choice for the CPU (its brgemm kernels, AVX512-BF16 and AMX, take channels-last); the output is
// bfloat16 too, as autocast's.
// LibTorch 1.13 links Debian's libdnnl.so.2 itself, so this shares its oneDNN (one copy, one primitive
// cache, one OpenMP pool). The ops come from JS (src/interop/onnx/dnnl-plan.ts); they are checked here too.
#include <dnnl.hpp>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common.h"

namespace tszoo {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using dims = memory::dims;

constexpr uint64_t kDnnlPlanMagic = 0x7a7e5a0055c0ffeeULL;

struct Step {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  // a step done here instead of by a primitive (a concatenation that is whole-block copies), and the
  // memories it reads and writes
  std::function<void()> custom;
  std::vector<memory> uses;
};

struct Plan {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dt type = dt::f32;  // activations and weights (biases and batch-norm statistics stay f32)
  dims inputDims;
  memory input;                 // user layout (nchw), its handle set per run
  std::vector<memory> values;   // value id -> its memory (a fused add's output shares its target's)
  std::vector<Step> steps;
  std::vector<std::pair<memory, memory>> reordered;  // (value, its copy in another layout)
  int output = -1;
  dims outputDims;
  // Activations without padding get no buffer of their own: once every step is known they share one
  // arena, placed by when each is first written and last read (shareActivations).
  std::vector<memory> shared;
  at::Tensor arena;
  int64_t activationBytes = 0;  // every activation in its own buffer
  int64_t ownBytes = 0;         // the padded ones, which keep their own (oneDNN zero-fills their padding)
  // Weights and other constants in the layouts the primitives want, by source tensor. A plan built for
  // another shape of the same graph (with the same weights) takes the donor's copies where the layout
  // is the same, instead of holding its own: they are reference-counted, so either plan may go first.
  struct Constant {
    at::Tensor source;  // held, so no other tensor can take its address while the plan lives
    int64_t version;
    memory m;
  };
  std::vector<Constant> constants;
  const Plan* donor = nullptr;  // only while this plan is built
  int64_t weightBytes = 0;      // constants this plan holds
  int64_t donatedBytes = 0;     // of those, the ones taken from a donor

  memory make(const memory::desc& d) {
    const size_t bytes = d.get_size();
    activationBytes += static_cast<int64_t>(bytes);
    if (bytes != product(d.dims()) * memory::data_type_size(d.data_type())) {
      ownBytes += static_cast<int64_t>(bytes);
      return memory(d, eng);
    }
    memory m(d, eng, DNNL_MEMORY_NONE);
    shared.push_back(m);
    return m;
  }

  bool bf16() const { return type == dt::bf16; }

  // An activation's layout: nChw16c (or nc) in float32, oneDNN's pick in bfloat16.
  memory::desc activation(const dims& d) const {
    if (bf16() && d.size() == 4) return {d, type, tag::any};
    return {d, type, d.size() == 4 ? tag::nChw16c : tag::nc};
  }

  // bfloat16 primitives only where oneDNN has a kernel for this CPU: its reference ones are many times
  // slower than float32 (no avx512_core here), so the plan refuses and the graph runs node by node.
  template <typename PD>
  void needFast(const PD& pd, const char* what) const {
    const std::string impl = pd.impl_info_str();
    if (bf16() && impl.rfind("ref", 0) == 0)
      throw std::runtime_error(std::string("no bfloat16 ") + what + " kernel for this CPU (oneDNN offers only '" + impl + "')");
  }

  // A value in `want`'s layout: the value itself, or a reorder step into a new memory (one per value and
  // layout: a value several primitives read in one other layout is reordered once).
  memory as(const memory& src, const memory::desc& want) {
    if (src.get_desc() == want) return src;
    for (const auto& [from, to] : reordered)
      if (from.get() == src.get() && to.get_desc() == want) return to;
    memory dst = make(want);
    dnnl::reorder r(src, dst);
    steps.push_back({r, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}}});
    reordered.emplace_back(src, dst);
    return dst;
  }

  // Build-time copy of a dense fp32 tensor into the layout a primitive wants (or the donor's copy).
  memory constant(const at::Tensor& t, const dims& d, tag plain, const memory::desc& want) {
    if (t.numel() != static_cast<int64_t>(product(d))) throw std::runtime_error("weight of the wrong size");
    const int64_t version = t.is_inference() ? 0 : static_cast<int64_t>(t._version());
    const auto same = [&](const Constant& k) {
      return k.source.data_ptr() == t.data_ptr() && k.source.scalar_type() == t.scalar_type() &&
             k.source.sizes() == t.sizes() && k.source.strides() == t.strides() && k.version == version &&
             k.m.get_desc() == want;
    };
    const int64_t bytes = static_cast<int64_t>(want.get_size());
    weightBytes += bytes;
    if (donor != nullptr) {
      for (const Constant& k : donor->constants) {
        if (!same(k)) continue;
        constants.push_back(k);
        donatedBytes += bytes;
        return k.m;
      }
    }
    at::Tensor c = t.to(at::kFloat).contiguous();
    memory user({d, dt::f32, plain}, eng);
    std::memcpy(user.get_data_handle(), c.data_ptr<float>(), product(d) * sizeof(float));
    memory m(want, eng);
    dnnl::reorder(user, m).execute(strm, user, m);
    strm.wait();
    constants.push_back({t, version, m});
    return m;
  }

  static size_t product(const dims& d) {
    size_t p = 1;
    for (auto x : d) p *= static_cast<size_t>(x);
    return p;
  }

  const memory& value(int id, const char* what) const {
    if (id < 0 || id >= static_cast<int>(values.size()) || !values[id])
      throw std::runtime_error(std::string(what) + ": value " + std::to_string(id) + " is not computed yet");
    return values[id];
  }

  void set(int id, memory m) {
    if (id < 0) throw std::runtime_error("negative value id");
    if (id >= static_cast<int>(values.size())) values.resize(id + 1);
    values[id] = std::move(m);
  }
};

// Places the padding-free activations in one arena: two share bytes only if no step lies within both
// their lives (first write to last read; the output lives to the end of the run). Greedy by size,
// largest first, each at the lowest offset free for its whole life.
void shareActivations(Plan& p) {
  struct Life {
    memory m;
    int first = -1, last = -1;
    size_t bytes = 0, offset = 0;
  };
  std::unordered_map<dnnl_memory_t, size_t> index;
  std::vector<Life> lives;
  for (const memory& m : p.shared) {
    index.emplace(m.get(), lives.size());
    lives.push_back({m, -1, -1, (m.get_desc().get_size() + 63) / 64 * 64, 0});
  }
  auto touch = [&](const memory& m, int step) {
    auto it = index.find(m.get());
    if (it == index.end()) return;
    Life& l = lives[it->second];
    if (l.first < 0) l.first = step;
    l.last = std::max(l.last, step);
  };
  for (size_t i = 0; i < p.steps.size(); i++) {
    for (const auto& [arg, m] : p.steps[i].args) touch(m, static_cast<int>(i));
    for (const memory& m : p.steps[i].uses) touch(m, static_cast<int>(i));
  }
  touch(p.values[p.output], static_cast<int>(p.steps.size()));
  std::vector<size_t> order(lives.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lives[a].bytes > lives[b].bytes; });
  std::vector<size_t> placed;
  size_t total = 0;
  for (size_t i : order) {
    Life& l = lives[i];
    if (l.first < 0) {  // never used by a step: still gets room, alone
      l.first = 0;
      l.last = static_cast<int>(p.steps.size());
    }
    std::vector<std::pair<size_t, size_t>> busy;  // [offset, end) of those alive at the same time
    for (size_t j : placed) {
      const Life& o = lives[j];
      if (o.first <= l.last && l.first <= o.last) busy.emplace_back(o.offset, o.offset + o.bytes);
    }
    std::sort(busy.begin(), busy.end());
    size_t at = 0;
    for (const auto& [from, to] : busy) {
      if (from >= at + l.bytes) break;
      at = std::max(at, to);
    }
    l.offset = at;
    total = std::max(total, at + l.bytes);
    placed.push_back(i);
  }
  p.arena = at::empty({static_cast<int64_t>(std::max<size_t>(total, 64))}, at::kByte);
  auto* base = static_cast<char*>(p.arena.data_ptr());
  for (Life& l : lives) l.m.set_data_handle(base + l.offset);
}

struct PlanBox {
  uint64_t magic = kDnnlPlanMagic;
  Plan plan;
};

dims numbers(const Napi::Object& o, const char* key) {
  dims out;
  auto v = o.Get(key);
  if (!v.IsArray()) throw std::runtime_error(std::string("missing array '") + key + "'");
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  return out;
}

// A pair of spatial values, each at least `min` (strides, dilations and kernels 1; pads 0).
dims pair(const Napi::Object& o, const char* key, int64_t min) {
  dims v = numbers(o, key);
  if (v.size() != 2) throw std::runtime_error(std::string(key) + ": two values expected");
  for (auto x : v)
    if (x < min) throw std::runtime_error(std::string(key) + ": " + std::to_string(x) + " is below " + std::to_string(min));
  return v;
}

int64_t integer(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  if (!v.IsNumber()) throw std::runtime_error(std::string("missing number '") + key + "'");
  return v.As<Napi::Number>().Int64Value();
}

dims blockedDims(const memory& m) { return m.get_desc().dims(); }

// An activation as oneDNN eltwise steps: "relu" | "clip" (lo, hi) | "hardswish" |
// "hardsigmoid" (max(0, min(1, lo * x + hi)): linear, then clip) | "none".
std::vector<std::tuple<dnnl::algorithm, float, float>> eltwiseSteps(const std::string& kind, float lo, float hi) {
  using A = dnnl::algorithm;
  if (kind == "none") return {};
  if (kind == "relu") return {{A::eltwise_relu, 0.f, 0.f}};
  if (kind == "clip") return {{A::eltwise_clip, lo, hi}};
  if (kind == "hardswish") return {{A::eltwise_hardswish, 0.f, 0.f}};
  if (kind == "hardsigmoid") return {{A::eltwise_linear, lo, hi}, {A::eltwise_clip, 0.f, 1.f}};
  throw std::runtime_error("unknown activation '" + kind + "'");
}

void appendEltwise(dnnl::post_ops& po, const std::string& kind, float lo, float hi) {
  for (auto [alg, a, b] : eltwiseSteps(kind, lo, hi)) po.append_eltwise(1.f, alg, a, b);
}

void addConv(Napi::Env env, Plan& p, const Napi::Object& o) {
  memory src = p.value(static_cast<int>(integer(o, "src")), "conv");
  const at::Tensor& w = unwrapTensor(env, o.Get("weight"), "conv weight");
  Napi::Value bv = o.Get("bias");
  const at::Tensor* b = bv.IsNull() || bv.IsUndefined() ? nullptr : &unwrapTensor(env, bv, "conv bias");
  const int64_t groups = integer(o, "group");
  const dims strides = pair(o, "strides", 1), dil = pair(o, "dilations", 1);
  const dims padL = pair(o, "padsBegin", 0), padR = pair(o, "padsEnd", 0);
  if (groups < 1) throw std::runtime_error("conv: group below 1");
  const dims sd = blockedDims(src);
  if (w.dim() != 4 || sd.size() != 4) throw std::runtime_error("conv: 2-d convolutions only");
  const int64_t oc = w.size(0), kh = w.size(2), kw = w.size(3);
  if (w.size(1) * groups != sd[1] || oc % groups != 0) throw std::runtime_error("conv: weight does not fit the input");
  const int64_t spanH = sd[2] + padL[0] + padR[0] - dil[0] * (kh - 1) - 1;
  const int64_t spanW = sd[3] + padL[1] + padR[1] - dil[1] * (kw - 1) - 1;
  if (spanH < 0 || spanW < 0) throw std::runtime_error("conv: the kernel is larger than the padded input");
  const int64_t oh = spanH / strides[0] + 1, ow = spanW / strides[1] + 1;
  const dims wd = groups > 1 ? dims{groups, oc / groups, w.size(1), kh, kw} : dims{oc, w.size(1), kh, kw};
  const tag wtag = groups > 1 ? tag::goihw : tag::oihw;
  const int sum = static_cast<int>(integer(o, "sum"));
  memory target = sum >= 0 ? p.value(sum, "conv sum") : memory();
  const dims od{sd[0], oc, oh, ow};
  if (sum >= 0 && blockedDims(target) != od) throw std::runtime_error("conv: the added value has another shape");
  if (sum >= 0 && target.get() == src.get())
    throw std::runtime_error("conv: the added value is the convolution's own input");
  memory::desc dstMd = sum >= 0 ? target.get_desc() : p.activation(od);
  // the stem's few input channels (and every input in bfloat16): oneDNN picks the source layout, reordered
  // into once per run where it differs
  memory::desc srcMd(sd, p.type, sd[1] < 16 || p.bf16() ? tag::any : tag::nChw16c);
  dnnl::convolution_forward::desc cd(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                     srcMd, memory::desc(wd, p.type, tag::any),
                                     memory::desc({oc}, dt::f32, tag::x), dstMd, strides,
                                     {dil[0] - 1, dil[1] - 1}, padL, padR);
  dnnl::post_ops po;
  appendEltwise(po, o.Get("act").As<Napi::String>().Utf8Value(), o.Get("lo").As<Napi::Number>().FloatValue(),
                o.Get("hi").As<Napi::Number>().FloatValue());
  if (sum >= 0) {
    po.append_sum(1.f);
    appendEltwise(po, o.Get("sumAct").As<Napi::String>().Utf8Value(), 0.f, 0.f);
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  dnnl::convolution_forward::primitive_desc pd(cd, attr, p.eng);
  p.needFast(pd, "convolution");
  memory s = p.as(src, pd.src_desc());
  memory wm = p.constant(w, wd, wtag, pd.weights_desc());
  memory bm = b ? p.constant(*b, {oc}, tag::x, pd.bias_desc()) : p.constant(at::zeros({oc}), {oc}, tag::x, pd.bias_desc());
  memory dst = sum >= 0 ? target : p.make(pd.dst_desc());
  // the sum overwrites the target: copies of it in other layouts are of the old value
  if (sum >= 0)
    p.reordered.erase(std::remove_if(p.reordered.begin(), p.reordered.end(),
                                     [&](const auto& r) { return r.first.get() == target.get(); }),
                      p.reordered.end());
  p.steps.push_back({dnnl::convolution_forward(pd),
                     {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dst}}});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

void addPool(Plan& p, const Napi::Object& o, const std::string& op) {
  memory src = p.value(static_cast<int>(integer(o, "src")), "pool");
  const dims sd = blockedDims(src);
  const bool global = op == "gap";
  if (sd.size() != 4) throw std::runtime_error("pool: 2-d pools only");
  const dims k = global ? dims{sd[2], sd[3]} : pair(o, "kernel", 1);
  const dims st = global ? dims{1, 1} : pair(o, "strides", 1);
  const dims padL = global ? dims{0, 0} : pair(o, "padsBegin", 0);
  const dims padR = global ? dims{0, 0} : pair(o, "padsEnd", 0);
  const int64_t spanH = sd[2] + padL[0] + padR[0] - k[0], spanW = sd[3] + padL[1] + padR[1] - k[1];
  if (spanH < 0 || spanW < 0) throw std::runtime_error("pool: the kernel is larger than the padded input");
  const int64_t oh = spanH / st[0] + 1, ow = spanW / st[1] + 1;
  const auto alg = op == "maxpool" ? dnnl::algorithm::pooling_max
                   : (!global && o.Get("includePad").ToBoolean().Value()) ? dnnl::algorithm::pooling_avg_include_padding
                                                                            : dnnl::algorithm::pooling_avg_exclude_padding;
  dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, alg, src.get_desc(),
                                memory::desc({sd[0], sd[1], oh, ow}, src.get_desc().data_type(), tag::any), st, k,
                                padL, padR);
  dnnl::pooling_forward::primitive_desc pd(d, p.eng);
  p.needFast(pd, "pooling");
  memory dst = p.make(pd.dst_desc());
  p.steps.push_back({dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

void addConcat(Plan& p, const Napi::Object& o) {
  const dims ids = numbers(o, "srcs");
  std::vector<memory::desc> mds;
  std::unordered_map<int, memory> args;
  int64_t channels = 0;
  dims first;
  for (size_t i = 0; i < ids.size(); i++) {
    memory m = p.value(static_cast<int>(ids[i]), "concat");
    const dims d = blockedDims(m);
    if (i == 0) first = d;
    if (d.size() != 4 || d[0] != first[0] || d[2] != first[2] || d[3] != first[3])
      throw std::runtime_error("concat: inputs differ in batch or size");
    channels += d[1];
    mds.push_back(m.get_desc());
    args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = m;
  }
  // In nChw16c with every part's channels a multiple of 16, each image of the output is its parts'
  // images one after another: whole-block copies (oneDNN's generic concat runs element-wise here).
  const dt type = mds[0].data_type();
  auto blocked = [&](const dims& d) { return memory::desc(d, type, tag::nChw16c); };
  const memory::desc out = blocked({first[0], channels, first[2], first[3]});
  bool blocks = channels % 16 == 0;
  for (const auto& md : mds) blocks = blocks && md == blocked(md.dims()) && md.dims()[1] % 16 == 0;
  if (blocks) {
    memory dst = p.make(out);
    std::vector<memory> parts;
    for (size_t i = 0; i < ids.size(); i++) parts.push_back(args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)]);
    if (type != dt::bf16 && type != dt::f32) throw std::runtime_error("concat: an unexpected data type");
    const int64_t element = static_cast<int64_t>(type == dt::bf16 ? sizeof(uint16_t) : sizeof(float));
    const int64_t images = first[0], plane = first[2] * first[3] * element;
    // per part: bytes of one image, and where its channels start in an output image (decided once)
    std::vector<int64_t> sizes, offsets;
    int64_t offset = 0;
    for (const auto& m : mds) {
      sizes.push_back(m.dims()[1] * plane);
      offsets.push_back(offset);
      offset += sizes.back();
    }
    Step step;
    step.uses = parts;
    step.uses.push_back(dst);
    step.custom = [parts, dst, images, sizes, offsets, outImage = offset]() {
      auto* out = static_cast<char*>(dst.get_data_handle());
      const int64_t n = static_cast<int64_t>(parts.size());
      // one task per (image, part)
      at::parallel_for(0, images * n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; t++) {
          const int64_t image = t / n, k = t % n;
          std::memcpy(out + image * outImage + offsets[k],
                      static_cast<const char*>(parts[k].get_data_handle()) + image * sizes[k], sizes[k]);
        }
      });
    };
    p.steps.push_back(step);
    p.set(static_cast<int>(integer(o, "dst")), dst);
    return;
  }
  dnnl::concat::primitive_desc pd(memory::desc(out.dims(), type, tag::any), 1, mds, p.eng);
  memory dst = p.make(pd.dst_desc());
  args[DNNL_ARG_DST] = dst;
  p.steps.push_back({dnnl::concat(pd), args});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

// a + b (same shape), then an optional activation, into a new value
void addBinary(Plan& p, const Napi::Object& o) {
  memory a = p.value(static_cast<int>(integer(o, "a")), "add");
  memory b = p.value(static_cast<int>(integer(o, "b")), "add");
  if (blockedDims(a) != blockedDims(b)) throw std::runtime_error("add: operands differ in shape");
  dnnl::binary::desc d(dnnl::algorithm::binary_add, a.get_desc(), b.get_desc(), a.get_desc());
  dnnl::post_ops po;
  appendEltwise(po, o.Get("act").As<Napi::String>().Utf8Value(), 0.f, 0.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  dnnl::binary::primitive_desc pd(d, attr, p.eng);
  p.needFast(pd, "add");
  memory dst = p.make(pd.dst_desc());
  p.steps.push_back({dnnl::binary(pd), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, dst}}});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

void addEltwise(Plan& p, const Napi::Object& o) {
  memory src = p.value(static_cast<int>(integer(o, "src")), "activation");
  const auto steps = eltwiseSteps(o.Get("act").As<Napi::String>().Utf8Value(), o.Get("lo").As<Napi::Number>().FloatValue(),
                                  o.Get("hi").As<Napi::Number>().FloatValue());
  if (steps.empty()) throw std::runtime_error("activation 'none'");
  memory dst = p.make(src.get_desc());
  memory from = src;
  for (auto [alg, a, b] : steps) {
    dnnl::eltwise_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, alg, src.get_desc(), a, b}, p.eng);
    p.needFast(pd, "activation");
    p.steps.push_back({dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, from}, {DNNL_ARG_DST, dst}}});
    from = dst;
  }
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

// a * b with b [N, C, 1, 1] broadcast over a's [N, C, H, W] (squeeze-and-excitation gating)
void addMul(Plan& p, const Napi::Object& o) {
  memory a = p.value(static_cast<int>(integer(o, "a")), "mul");
  memory b = p.value(static_cast<int>(integer(o, "b")), "mul");
  const dims da = blockedDims(a), db = blockedDims(b);
  if (da.size() != 4 || db.size() != 4 || db[0] != da[0] || db[1] != da[1] || db[2] != 1 || db[3] != 1)
    throw std::runtime_error("mul: only [N, C, H, W] * [N, C, 1, 1]");
  if (a.get_desc().data_type() != b.get_desc().data_type()) throw std::runtime_error("mul: operands differ in type");
  dnnl::binary::primitive_desc pd({dnnl::algorithm::binary_mul, a.get_desc(), b.get_desc(), a.get_desc()}, p.eng);
  p.needFast(pd, "mul");
  memory dst = p.make(pd.dst_desc());
  p.steps.push_back({dnnl::binary(pd), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, dst}}});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

// batch norm with running statistics (inference), optionally followed by ReLU in the same primitive
void addBatchNorm(Napi::Env env, Plan& p, const Napi::Object& o) {
  memory src = p.value(static_cast<int>(integer(o, "src")), "batchnorm");
  const int64_t c = blockedDims(src)[1];
  auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
               dnnl::normalization_flags::use_shift;
  if (o.Get("relu").ToBoolean().Value()) flags = flags | dnnl::normalization_flags::fuse_norm_relu;
  dnnl::batch_normalization_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, src.get_desc(), o.Get("eps").As<Napi::Number>().FloatValue(), flags}, p.eng);
  p.needFast(pd, "batch norm");
  auto param = [&](const char* key) {
    const at::Tensor& t = unwrapTensor(env, o.Get(key), "batchnorm parameter");
    if (t.numel() != c) throw std::runtime_error(std::string("batchnorm: ") + key + " does not fit the channels");
    return p.constant(t, {c}, tag::x, memory::desc({c}, dt::f32, tag::x));
  };
  memory dst = p.make(pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_DST, dst},
                                       {DNNL_ARG_SCALE, param("scale")},
                                       {DNNL_ARG_SHIFT, param("shift")},
                                       {DNNL_ARG_MEAN, param("mean")},
                                       {DNNL_ARG_VARIANCE, param("variance")}};
  if (pd.workspace_desc().get_size() > 0) args[DNNL_ARG_WORKSPACE] = p.make(pd.workspace_desc());
  p.steps.push_back({dnnl::batch_normalization_forward(pd), args});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

// [N, C, 1, 1] or [N, C] -> [N, O]: an inner product with weight [O, C]
void addLinear(Napi::Env env, Plan& p, const Napi::Object& o) {
  memory src = p.value(static_cast<int>(integer(o, "src")), "linear");
  const at::Tensor& w = unwrapTensor(env, o.Get("weight"), "linear weight");
  const at::Tensor& b = unwrapTensor(env, o.Get("bias"), "linear bias");
  dims sd = blockedDims(src);
  if (sd.size() == 4 && (sd[2] != 1 || sd[3] != 1)) throw std::runtime_error("linear: a [N, C, 1, 1] input only");
  if (w.dim() != 2 || w.size(1) != sd[1] || b.numel() != w.size(0))
    throw std::runtime_error("linear: weight does not fit the input");
  const int64_t out = w.size(0);
  const dims wd = sd.size() == 4 ? dims{out, sd[1], 1, 1} : dims{out, sd[1]};
  const dt type = src.get_desc().data_type();
  dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src.get_desc(),
                                      memory::desc(wd, type, tag::any), memory::desc({out}, dt::f32, tag::x),
                                      memory::desc({sd[0], out}, type, tag::nc));
  dnnl::inner_product_forward::primitive_desc pd(d, p.eng);
  p.needFast(pd, "inner product");
  memory wm = p.constant(w, wd, sd.size() == 4 ? tag::oihw : tag::oi, pd.weights_desc());
  memory bm = p.constant(b, {out}, tag::x, pd.bias_desc());
  memory dst = p.make(pd.dst_desc());
  p.steps.push_back({dnnl::inner_product_forward(pd),
                     {{DNNL_ARG_SRC, p.as(src, pd.src_desc())}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dst}}});
  p.set(static_cast<int>(integer(o, "dst")), dst);
}

PlanBox* unwrapPlan(napi_env env, napi_value v) {
  auto* box = static_cast<PlanBox*>(unwrapMagic(env, v, kDnnlPlanMagic));
  if (!box) throw Napi::TypeError::New(env, "dnnl plan: not a plan handle");
  return box;
}

// dnnlPlanCreate(ops, { shape, output, dtype: 'float32' | 'bfloat16' }, donor?) -> plan handle. Value 0 is the
// input (float32, NCHW); ops run in order; the output has its last op's type (bfloat16 after a
// convolution or inner product in a bfloat16 plan, as under autocast). `donor`: a plan of the same graph
// and weights, whose weight copies this one takes where the layout is the same.
Napi::Value Create(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "dnnl plan", [&]() -> Napi::Value {
    auto* box = new PlanBox();
    try {
      Plan& p = box->plan;
      p.inputDims = numbers(info[1].As<Napi::Object>(), "shape");
      if (p.inputDims.size() != 4) throw std::runtime_error("the input must be [N, C, H, W]");
      for (auto d : p.inputDims)
        if (d < 1) throw std::runtime_error("an empty input");
      const Napi::Object io = info[1].As<Napi::Object>();
      const std::string type = io.Get("dtype").IsString() ? io.Get("dtype").As<Napi::String>().Utf8Value() : "float32";
      if (type != "float32" && type != "bfloat16") throw std::runtime_error("dtype '" + type + "': float32 or bfloat16");
      p.type = type == "bfloat16" ? dt::bf16 : dt::f32;
      if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) p.donor = &unwrapPlan(env, info[2])->plan;
      p.input = memory({p.inputDims, dt::f32, tag::nchw}, p.eng, DNNL_MEMORY_NONE);
      p.set(0, p.input);
      auto ops = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < ops.Length(); i++) {
        Napi::Object o = ops.Get(i).As<Napi::Object>();
        const std::string op = o.Get("op").As<Napi::String>().Utf8Value();
        try {
          if (op == "conv") addConv(env, p, o);
          else if (op == "maxpool" || op == "avgpool" || op == "gap") addPool(p, o, op);
          else if (op == "concat") addConcat(p, o);
          else if (op == "add") addBinary(p, o);
          else if (op == "eltwise") addEltwise(p, o);
          else if (op == "linear") addLinear(env, p, o);
          else if (op == "mul") addMul(p, o);
          else if (op == "batchnorm") addBatchNorm(env, p, o);
          else throw std::runtime_error("unknown op '" + op + "'");
        } catch (const dnnl::error& e) {
          // below AVX-512 oneDNN 2.6 has no bfloat16 convolution at all
          if (p.bf16() && e.status == dnnl_unimplemented)
            throw std::runtime_error("op " + std::to_string(i) + " (" + op + "): no bfloat16 " + op +
                                     " kernel for this CPU (oneDNN: " + e.what() + ")");
          throw std::runtime_error("op " + std::to_string(i) + " (" + op + "): oneDNN: " + e.what());
        } catch (const std::runtime_error& e) {
          throw std::runtime_error("op " + std::to_string(i) + " (" + op + "): " + e.what());
        }
      }
      p.output = static_cast<int>(integer(io, "output"));
      p.outputDims = blockedDims(p.value(p.output, "output"));
      shareActivations(p);
      p.donor = nullptr;
    } catch (...) {
      delete box;
      throw;
    }
    return Napi::External<PlanBox>::New(env, box, [](Napi::Env, PlanBox* b) {
      b->magic = 0;
      delete b;
    });
  });
}

// dnnlPlanRun(plan, input) -> a new dense tensor (NCHW, or [N, O]; float32 or bfloat16)
Napi::Value Run(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "dnnl plan", [&]() -> Napi::Value {
    Plan& p = unwrapPlan(env, info[0])->plan;
    at::Tensor x = unwrapTensor(env, info[1], "input");
    if (x.scalar_type() != at::kFloat || x.sizes().vec() != std::vector<int64_t>(p.inputDims.begin(), p.inputDims.end()))
      throw std::runtime_error("the input is not a float32 tensor of the plan's shape");
    x = x.contiguous();
    p.input.set_data_handle(x.data_ptr<float>());
    for (auto& s : p.steps) {
      if (s.custom) {
        p.strm.wait();
        s.custom();
      } else {
        s.prim.execute(p.strm, s.args);
      }
    }
    memory last = p.values[p.output];
    const dt type = last.get_desc().data_type();
    at::Tensor out = at::empty(std::vector<int64_t>(p.outputDims.begin(), p.outputDims.end()),
                               type == dt::bf16 ? at::kBFloat16 : at::kFloat);
    memory user({p.outputDims, type, p.outputDims.size() == 4 ? tag::nchw : tag::nc}, p.eng, out.data_ptr());
    if (last.get_desc() == user.get_desc()) std::memcpy(out.data_ptr(), last.get_data_handle(), out.nbytes());
    else dnnl::reorder(last, user).execute(p.strm, last, user);
    p.strm.wait();
    p.input.set_data_handle(DNNL_MEMORY_NONE);
    return Napi::Value(env, wrapTensor(env, out));
  });
}

// dnnlPlanMemory(plan) -> { activations, arena, own, weights, sharedWeights }: bytes of the activations
// if each had its own buffer, of the arena the padding-free ones share, of the padded ones (their own
// buffers), of the weights (and other constants) in the primitives' layouts, and of those the
// weights shared with the plan it was built beside
Napi::Value Memory(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "dnnl plan", [&]() -> Napi::Value {
    const Plan& p = unwrapPlan(env, info[0])->plan;
    Napi::Object o = Napi::Object::New(env);
    o.Set("activations", Napi::Number::New(env, double(p.activationBytes)));
    o.Set("arena", Napi::Number::New(env, p.arena.defined() ? double(p.arena.nbytes()) : 0.0));
    o.Set("own", Napi::Number::New(env, double(p.ownBytes)));
    o.Set("weights", Napi::Number::New(env, double(p.weightBytes)));
    o.Set("sharedWeights", Napi::Number::New(env, double(p.donatedBytes)));
    return o;
  });
}

// dnnlPlanFree(plan): releases the plan's memory now (the handle is dead afterwards)
Napi::Value Free(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "dnnl plan", [&]() -> Napi::Value {
    PlanBox* box = unwrapPlan(env, info[0]);
    box->plan = Plan();
    box->magic = 0;
    return Napi::Env(env).Undefined();
  });
}

// dnnlPlanVersions(tensors) -> "<sum of version counters>:<hash of data pointers and dtypes>": what a plan
// compares to tell whether a weight it copied changed since, in one call instead of one per tensor. An
// in-place write bumps a version (inference tensors have none: they count 0), .to() swaps the storage.
Napi::Value Versions(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "dnnl plan", [&]() -> Napi::Value {
    auto arr = info[0].As<Napi::Array>();
    uint64_t sum = 0, hash = 1469598103934665603ULL;  // FNV-1a
    auto mix = [&hash](uint64_t v) {
      for (int b = 0; b < 8; b++) hash = (hash ^ ((v >> (8 * b)) & 0xff)) * 1099511628211ULL;
    };
    for (uint32_t i = 0; i < arr.Length(); i++) {
      const at::Tensor& t = unwrapTensor(env, arr.Get(i), "weight");
      if (!t.is_inference()) sum += static_cast<uint64_t>(t._version());
      mix(reinterpret_cast<uintptr_t>(t.data_ptr()));
      mix(static_cast<uint64_t>(t.scalar_type()));
    }
    return Napi::String::New(env, std::to_string(sum) + ":" + std::to_string(hash));
  });
}

}  // namespace

void registerDnnlPlanFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("dnnlPlanCreate", Napi::Function::New(env, Create, "dnnlPlanCreate"));
  exports.Set("dnnlPlanRun", Napi::Function::New(env, Run, "dnnlPlanRun"));
  exports.Set("dnnlPlanFree", Napi::Function::New(env, Free, "dnnlPlanFree"));
  exports.Set("dnnlPlanMemory", Napi::Function::New(env, Memory, "dnnlPlanMemory"));
  exports.Set("dnnlPlanVersions", Napi::Function::New(env, Versions, "dnnlPlanVersions"));
}

}  // namespace tszoo
