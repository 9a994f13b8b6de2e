// Process groups for data-parallel training: c10d's TCPStore -> PrefixStore -> ProcessGroupGloo, the
// collectives (each with a timeout), a heartbeat that names lost ranks, a differentiable all-reduce (for
// SyncBatchNorm) and the gradient bucket reducer that all-reduces during backward.
// Everything blocking (rendezvous, waiting on a collective) runs off the JS thread in an AsyncWorker; it
// runs no torch kernels there, only waits on Gloo's own threads.
#ifndef USE_DISTRIBUTED
#define USE_DISTRIBUTED 1
#endif
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1  // without it ProcessGroupGloo.hpp declares nothing
#endif
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace tszoo {

using std::chrono::milliseconds;

constexpr uint64_t kGroupMagic = 0x7a7e5a0033c0ffeeULL;
constexpr uint64_t kReducerMagic = 0x7a7e5a0044c0ffeeULL;

// Adds 1 to "heartbeat/<rank>" in the store every interval from its own thread and connection, so that
// after a failed collective the survivors can tell which ranks stopped counting (no clocks compared).
class Heartbeat {
 public:
  Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, milliseconds interval)
      : store_(std::move(store)), key_("heartbeat/" + std::to_string(rank)), interval_(interval) {
    thread_ = std::thread([this]() { run(); });
  }
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Runs f with the heartbeat's store connection (TCPStore clients are not shared between threads).
  template <typename F>
  auto withStore(F&& f) -> decltype(f(std::declval<c10d::Store&>())) {
    std::lock_guard<std::mutex> lock(storeMu_);
    return f(*store_);
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      try {
        std::lock_guard<std::mutex> s(storeMu_);
        store_->add(key_, 1);
      } catch (...) {
        // the store is gone: the diagnosis reports it; keep trying until stopped
      }
      lock.lock();
      cv_.wait_for(lock, interval_, [this]() { return stop_; });
    }
  }
  c10::intrusive_ptr<c10d::Store> store_;
  std::string key_;
  milliseconds interval_;
  std::mutex mu_, storeMu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::unique_ptr<Heartbeat> heartbeat;
  int rank = 0;
  int size = 1;
  milliseconds timeout{300000};
};

struct GroupBox {
  uint64_t magic = kGroupMagic;
  std::shared_ptr<Group> group;
};

static std::shared_ptr<Group> unwrapGroup(napi_env env, const Napi::Value& v, const char* what) {
  auto* box = static_cast<GroupBox*>(unwrapMagic(env, v, kGroupMagic));
  if (box == nullptr || !box->group) throw Napi::TypeError::New(env, std::string(what) + ": not a process group (or destroyed)");
  return box->group;
}

static std::string str(const Napi::Object& o, const char* key, const std::string& dflt = "") {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : dflt;
}
static int64_t num(const Napi::Object& o, const char* key, int64_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : dflt;
}
static bool flag(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

static std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return err.what_without_backtrace();
  } catch (const std::exception& err) {
    return err.what();
  } catch (...) {
    return "unknown error";
  }
}

// ---- creation: rendezvous through the store, then Gloo's full mesh ----

struct GroupSpec {
  std::string host, prefix, ifname, bindHost;
  int port = 29500, rank = 0, size = 1;
  bool isServer = false;
  milliseconds timeout{300000};
  milliseconds heartbeat{1000};
};

class CreateWorker : public Napi::AsyncWorker {
 public:
  CreateWorker(Napi::Env env, GroupSpec spec)
      : Napi::AsyncWorker(env), spec_(std::move(spec)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      c10d::TCPStoreOptions opts;
      opts.port = static_cast<uint16_t>(spec_.port);
      opts.isServer = spec_.isServer;
      opts.waitWorkers = false;
      opts.timeout = spec_.timeout;
      auto tcp = c10::make_intrusive<c10d::TCPStore>(spec_.host, opts);
      auto store = c10::make_intrusive<c10d::PrefixStore>(spec_.prefix, tcp);
      auto options = c10d::ProcessGroupGloo::Options::create(spec_.timeout);
      if (!spec_.ifname.empty()) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(spec_.ifname));
      } else if (!spec_.bindHost.empty()) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(spec_.bindHost));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      options->threads = 2;
      auto group = std::make_shared<Group>();
      group->rank = spec_.rank;
      group->size = spec_.size;
      group->timeout = spec_.timeout;
      group->store = store;
      group->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, spec_.rank, spec_.size, options);
      if (spec_.heartbeat.count() > 0) {
        c10d::TCPStoreOptions hopts = opts;
        hopts.isServer = false;
        auto hb = c10::make_intrusive<c10d::PrefixStore>(spec_.prefix, c10::make_intrusive<c10d::TCPStore>(spec_.host, hopts));
        group->heartbeat = std::make_unique<Heartbeat>(hb, spec_.rank, spec_.heartbeat);
      }
      group_ = group;
    } catch (...) {
      SetError(describe(std::current_exception()));
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto* box = new GroupBox();
    box->group = std::move(group_);
    deferred_.Resolve(Napi::External<GroupBox>::New(env, box, [](Napi::Env, GroupBox* b) {
      b->magic = 0;
      delete b;
    }));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  GroupSpec spec_;
  std::shared_ptr<Group> group_;
  Napi::Promise::Deferred deferred_;
};

// createGroup({ host, port, rank, worldSize, isServer, prefix, timeoutMs, ifname, bindHost, heartbeatMs })
static Napi::Value CreateGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "createGroup: expected an options object");
  auto o = info[0].As<Napi::Object>();
  GroupSpec spec;
  spec.host = str(o, "host", "127.0.0.1");
  spec.port = static_cast<int>(num(o, "port", 29500));
  spec.rank = static_cast<int>(num(o, "rank", 0));
  spec.size = static_cast<int>(num(o, "worldSize", 1));
  spec.isServer = flag(o, "isServer");
  spec.prefix = str(o, "prefix", "tszoo");
  spec.ifname = str(o, "ifname");
  spec.bindHost = str(o, "bindHost");
  spec.timeout = milliseconds(num(o, "timeoutMs", 300000));
  spec.heartbeat = milliseconds(num(o, "heartbeatMs", 1000));
  auto* w = new CreateWorker(env, spec);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

static Napi::Value DestroyGroup(const Napi::CallbackInfo& info) {
  auto* box = static_cast<GroupBox*>(unwrapMagic(info.Env(), info[0], kGroupMagic));
  if (box != nullptr) box->group.reset();
  return info.Env().Undefined();
}

// ---- waiting on collectives ----

// Waits (off the JS thread) for works, then resolves; any failure rejects with the c10d/Gloo message.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, std::vector<c10::intrusive_ptr<c10d::Work>> works, milliseconds timeout,
             std::function<void()> after = nullptr)
      : Napi::AsyncWorker(env),
        works_(std::move(works)),
        timeout_(timeout),
        after_(std::move(after)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      for (auto& w : works_) w->wait(timeout_);
    } catch (...) {
      SetError(describe(std::current_exception()));
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      if (after_) after_();  // on the JS thread: may run small torch ops (averaging)
      deferred_.Resolve(env.Undefined());
    } catch (...) {
      deferred_.Reject(Napi::Error::New(env, describe(std::current_exception())).Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::vector<c10::intrusive_ptr<c10d::Work>> works_;
  milliseconds timeout_;
  std::function<void()> after_;
  Napi::Promise::Deferred deferred_;
};

// Collectives of up to this many bytes are waited for on the JS thread: they take microseconds to a
// millisecond, less than handing the wait to a libuv thread and back (which costs a context switch each
// way, and much more on a loaded machine). Larger ones wait off the JS thread. Both wait with the timeout.
constexpr int64_t kSyncWaitBytes = 1 << 20;

static Napi::Promise waitFor(Napi::Env env, std::vector<c10::intrusive_ptr<c10d::Work>> works, milliseconds timeout,
                             std::function<void()> after = nullptr, int64_t bytes = INT64_MAX) {
  if (bytes <= kSyncWaitBytes) {
    auto deferred = Napi::Promise::Deferred::New(env);
    try {
      for (auto& w : works) w->wait(timeout);
      if (after) after();
      deferred.Resolve(env.Undefined());
    } catch (...) {
      deferred.Reject(Napi::Error::New(env, describe(std::current_exception())).Value());
    }
    return deferred.Promise();
  }
  auto* w = new WaitWorker(env, std::move(works), timeout, std::move(after));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

static milliseconds timeoutArg(const Napi::Value& v, const Group& g) {
  return v.IsNumber() ? milliseconds(v.As<Napi::Number>().Int64Value()) : g.timeout;
}

static const at::Tensor& commTensor(napi_env env, const Napi::Value& v, const char* what) {
  const at::Tensor& t = unwrapTensor(env, v, what);
  if (!t.is_contiguous() || t.is_sparse() || !t.device().is_cpu()) {
    throw Napi::TypeError::New(env, std::string(what) + ": expected a contiguous dense CPU tensor");
  }
  return t;
}

static c10d::ReduceOp parseOp(napi_env env, const std::string& op) {
  if (op == "sum" || op == "avg") return c10d::ReduceOp(c10d::ReduceOp::SUM);
  if (op == "max") return c10d::ReduceOp(c10d::ReduceOp::MAX);
  if (op == "min") return c10d::ReduceOp(c10d::ReduceOp::MIN);
  if (op == "product") return c10d::ReduceOp(c10d::ReduceOp::PRODUCT);
  throw Napi::RangeError::New(env, "allReduce: op must be sum, avg, max, min or product, got '" + op + "'");
}

// allReduce(group, tensor, op, timeoutMs?) -> Promise<void>; in place. Gloo has no AVG: sum, then divide.
static Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "allReduce", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "allReduce");
    at::Tensor t = commTensor(env, info[1], "allReduce");
    std::string op = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "sum";
    c10d::AllreduceOptions opts;
    opts.reduceOp = parseOp(env, op);
    opts.timeout = timeoutArg(info[3], *g);
    std::vector<at::Tensor> v{t};
    auto work = g->pg->allreduce(v, opts);
    std::function<void()> after;
    if (op == "avg") after = [t, g]() mutable { t.div_(g->size); };
    return waitFor(env, {work}, opts.timeout, after, t.nbytes());
  });
}

// broadcast(group, tensor, srcRank, timeoutMs?) -> Promise<void>; in place.
static Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "broadcast", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "broadcast");
    at::Tensor t = commTensor(env, info[1], "broadcast");
    c10d::BroadcastOptions opts;
    opts.rootRank = info[2].As<Napi::Number>().Int32Value();
    opts.timeout = timeoutArg(info[3], *g);
    std::vector<at::Tensor> v{t};
    return waitFor(env, {g->pg->broadcast(v, opts)}, opts.timeout, nullptr, t.nbytes());
  });
}

// allGather(group, outputs[worldSize], input, timeoutMs?) -> Promise<void>
static Napi::Value AllGather(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "allGather", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "allGather");
    auto arr = info[1].As<Napi::Array>();
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (uint32_t i = 0; i < arr.Length(); i++) outputs[0].push_back(commTensor(env, arr.Get(i), "allGather"));
    std::vector<at::Tensor> inputs{commTensor(env, info[2], "allGather")};
    c10d::AllgatherOptions opts;
    opts.timeout = timeoutArg(info[3], *g);
    return waitFor(env, {g->pg->allgather(outputs, inputs, opts)}, opts.timeout, nullptr,
                   inputs[0].nbytes() * static_cast<int64_t>(outputs[0].size()));
  });
}

// barrier(group, timeoutMs?) -> Promise<void>
static Napi::Value Barrier(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "barrier", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "barrier");
    c10d::BarrierOptions opts;
    opts.timeout = timeoutArg(info[1], *g);
    // a barrier can wait for seconds (rank 0 writing a checkpoint): off the JS thread, so output still flows
    return waitFor(env, {g->pg->barrier(opts)}, opts.timeout);
  });
}

// ---- the store: small shared values and the diagnosis of lost ranks ----

static std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// storeSet(group, key, value); storeGet(group, key) -> string | null (does not wait); storeAdd(group, key, n)
static Napi::Value StoreSet(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "store.set", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "store.set");
    g->store->set(info[1].As<Napi::String>().Utf8Value(), bytesOf(info[2].As<Napi::String>().Utf8Value()));
    return Napi::Env(env).Undefined();
  });
}
static Napi::Value StoreGet(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "store.get", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "store.get");
    std::string key = info[1].As<Napi::String>().Utf8Value();
    if (!g->store->check({key})) return Napi::Env(env).Null();
    auto v = g->store->get(key);
    return Napi::String::New(env, std::string(v.begin(), v.end()));
  });
}
static Napi::Value StoreAdd(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "store.add", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "store.add");
    return Napi::Number::New(env, static_cast<double>(g->store->add(info[1].As<Napi::String>().Utf8Value(),
                                                                    info[2].As<Napi::Number>().Int64Value())));
  });
}

// Reads every rank's heartbeat counter, waits `windowMs` off the JS thread, reads again: ranks whose counter
// did not move are lost. Resolves { lost: number[], storeReachable: boolean }.
class DiagnoseWorker : public Napi::AsyncWorker {
 public:
  DiagnoseWorker(Napi::Env env, std::shared_ptr<Group> g, milliseconds window)
      : Napi::AsyncWorker(env), g_(std::move(g)), window_(window), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    if (!g_->heartbeat) {
      reachable_ = false;
      return;
    }
    auto read = [&]() {
      std::vector<int64_t> counts(g_->size);
      g_->heartbeat->withStore([&](c10d::Store& s) {
        for (int r = 0; r < g_->size; r++) counts[r] = s.add("heartbeat/" + std::to_string(r), 0);
      });
      return counts;
    };
    try {
      auto before = read();
      std::this_thread::sleep_for(window_);
      auto after = read();
      for (int r = 0; r < g_->size; r++)
        if (r != g_->rank && after[r] == before[r]) lost_.push_back(r);
    } catch (...) {
      reachable_ = false;
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto out = Napi::Object::New(env);
    auto lost = Napi::Array::New(env, lost_.size());
    for (size_t i = 0; i < lost_.size(); i++) lost.Set(static_cast<uint32_t>(i), Napi::Number::New(env, lost_[i]));
    out.Set("lost", lost);
    out.Set("storeReachable", Napi::Boolean::New(env, reachable_));
    deferred_.Resolve(out);
  }

 private:
  std::shared_ptr<Group> g_;
  milliseconds window_;
  std::vector<int> lost_;
  bool reachable_ = true;
  Napi::Promise::Deferred deferred_;
};

static Napi::Value DiagnoseLostRanks(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "diagnoseLostRanks", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "diagnoseLostRanks");
    auto* w = new DiagnoseWorker(info.Env(), g, milliseconds(info[1].As<Napi::Number>().Int64Value()));
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

// ---- a differentiable all-reduce (sum): backward all-reduces the gradient. For SyncBatchNorm ----

static std::mutex registryMu;
static std::map<int64_t, std::weak_ptr<Group>> registry;
static std::atomic<int64_t> nextGroupId{1};

static std::shared_ptr<Group> registered(int64_t id) {
  std::lock_guard<std::mutex> lock(registryMu);
  auto it = registry.find(id);
  auto g = it == registry.end() ? nullptr : it->second.lock();
  TORCH_CHECK(g, "differentiable allReduce: the process group was destroyed");
  return g;
}

static void allReduceNow(Group& g, at::Tensor& t, const char* what) {
  std::vector<at::Tensor> v{t};
  c10d::AllreduceOptions opts;
  opts.timeout = g.timeout;
  auto work = g.pg->allreduce(v, opts);
  try {
    work->wait(g.timeout);
  } catch (...) {
    TORCH_CHECK(false, what, ": ", describe(std::current_exception()));
  }
}

struct AllReduceSumFunction : public torch::autograd::Function<AllReduceSumFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t groupId) {
    ctx->saved_data["group"] = groupId;
    at::Tensor out = x.contiguous().clone();
    allReduceNow(*registered(groupId), out, "allReduce (forward)");
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    at::Tensor g = grads[0].contiguous().clone();
    allReduceNow(*registered(ctx->saved_data["group"].toInt()), g, "allReduce (backward)");
    return {g, at::Tensor()};
  }
};

// allReduceSumDifferentiable(group, tensor) -> Tensor (synchronous: forward and backward wait with the timeout)
static Napi::Value AllReduceDifferentiable(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "allReduce (differentiable)", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "allReduce (differentiable)");
    const at::Tensor& x = unwrapTensor(env, info[1], "allReduce (differentiable)");
    int64_t id;
    {
      std::lock_guard<std::mutex> lock(registryMu);
      id = nextGroupId++;
      registry[id] = g;
      for (auto it = registry.begin(); it != registry.end();) it = it->second.expired() ? registry.erase(it) : std::next(it);
    }
    at::Tensor out = AllReduceSumFunction::apply(x, id);
    return Napi::Value(env, wrapTensor(env, out));
  });
}

// ---- gradient buckets: all-reduced during backward as soon as each bucket's gradients are ready ----

// Parameters are laid out in buckets in reverse registration order (the order backward produces their
// gradients). A bucket's flat buffer holds its gradients, then one "used" flag per parameter, so that a
// parameter with no gradient on some rank gets the others' (and none if no rank used it) in the same call.
class Reducer : public std::enable_shared_from_this<Reducer> {
 public:
  struct Slot {
    size_t bucket;
    int64_t offset, numel, flag;
  };
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> params;
    size_t pending = 0;
    int64_t gradNumel = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };

  Reducer(std::shared_ptr<Group> g, std::vector<at::Tensor> params, int64_t capBytes)
      : group_(std::move(g)), params_(std::move(params)) {
    slots_.resize(params_.size());
    std::vector<size_t> current;
    int64_t bytes = 0;
    auto close = [&]() {
      if (current.empty()) return;
      Bucket b;
      b.params = current;
      int64_t n = 0;
      for (size_t i : current) {
        slots_[i] = Slot{buckets_.size(), n, params_[i].numel(), 0};
        n += params_[i].numel();
      }
      b.gradNumel = n;
      for (size_t k = 0; k < current.size(); k++) slots_[current[k]].flag = n + static_cast<int64_t>(k);
      b.flat = at::zeros({n + static_cast<int64_t>(current.size())}, params_[current[0]].options().requires_grad(false));
      buckets_.push_back(std::move(b));
      current.clear();
      bytes = 0;
    };
    for (size_t j = params_.size(); j-- > 0;) {
      const at::Tensor& p = params_[j];
      TORCH_CHECK(p.requires_grad() && p.is_leaf(), "DistributedDataParallel: parameter ", j, " is not a leaf that requires grad");
      if (!current.empty() && params_[current[0]].scalar_type() != p.scalar_type()) close();
      current.push_back(j);
      bytes += p.numel() * static_cast<int64_t>(p.element_size());
      if (bytes >= capBytes) close();
    }
    close();
    ready_.assign(params_.size(), false);
  }

  void installHooks() {
    std::weak_ptr<Reducer> self = shared_from_this();
    for (size_t i = 0; i < params_.size(); i++) {
      auto acc = torch::autograd::impl::grad_accumulator(params_[i]);
      acc->add_post_hook(std::make_unique<Hook>(self, i));
      accumulators_.push_back(acc);
    }
  }

  // Before a forward whose backward is to be reduced: nothing ready, no flags set.
  void prepare() {
    std::lock_guard<std::mutex> lock(mu_);
    TORCH_CHECK(launched_.empty(), "DistributedDataParallel: the previous step's gradients were never finished");
    std::fill(ready_.begin(), ready_.end(), false);
    for (auto& b : buckets_) {
      b.pending = b.params.size();
      b.flat.narrow(0, b.gradNumel, static_cast<int64_t>(b.params.size())).zero_();
    }
    nextBucket_ = 0;
    armed_ = true;
    error_.clear();
  }

  // Called when param i's gradient has been accumulated.
  void ready(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!armed_) return;
    if (ready_[i]) {
      error_ = "parameter " + std::to_string(i) + " got a gradient twice in one step (a second backward before the step: accumulate with noSync())";
      return;
    }
    const at::Tensor& grad = params_[i].grad();
    if (!grad.defined()) return;
    Bucket& b = buckets_[slots_[i].bucket];
    at::Tensor slice = b.flat.narrow(0, slots_[i].offset, slots_[i].numel).view(params_[i].sizes());
    if (!(grad.data_ptr() == slice.data_ptr() && grad.is_contiguous())) slice.copy_(grad);
    b.flat[slots_[i].flag].fill_(1);
    ready_[i] = true;
    if (--b.pending == 0) launchReady();
  }

  // After backward: launches what is left (zeros for parameters without a gradient here) and returns the works.
  std::vector<c10::intrusive_ptr<c10d::Work>> finish() {
    std::lock_guard<std::mutex> lock(mu_);
    TORCH_CHECK(armed_, "DistributedDataParallel: finish() without a prepared forward");
    if (!error_.empty()) {
      armed_ = false;
      TORCH_CHECK(false, "DistributedDataParallel: ", error_);
    }
    for (auto& b : buckets_) {
      if (b.pending == 0) continue;
      for (size_t i : b.params)
        if (!ready_[i]) b.flat.narrow(0, slots_[i].offset, slots_[i].numel).zero_();
      b.pending = 0;
    }
    launchReady();
    armed_ = false;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (size_t k : launched_) works.push_back(buckets_[k].work);
    return works;
  }

  // On the JS thread once every bucket is reduced: averages, and makes each gradient a view of its bucket
  // (none for a parameter no rank used).
  void apply() {
    std::lock_guard<std::mutex> lock(mu_);
    launched_.clear();
    double world = group_->size;
    for (auto& b : buckets_) {
      b.work.reset();
      b.flat.narrow(0, 0, b.gradNumel).div_(world);
      auto flags = b.flat.narrow(0, b.gradNumel, static_cast<int64_t>(b.params.size())).to(at::kFloat).contiguous();
      const float* used = flags.data_ptr<float>();
      for (size_t k = 0; k < b.params.size(); k++) {
        size_t i = b.params[k];
        if (used[k] > 0) {
          params_[i].mutable_grad() = b.flat.narrow(0, slots_[i].offset, slots_[i].numel).view(params_[i].sizes());
        } else {
          params_[i].mutable_grad().reset();
        }
      }
    }
  }

  void abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    launched_.clear();
    armed_ = false;
    for (auto& b : buckets_) b.work.reset();
  }

  Napi::Value describe(Napi::Env env) {
    auto arr = Napi::Array::New(env, buckets_.size());
    for (size_t k = 0; k < buckets_.size(); k++) {
      auto o = Napi::Object::New(env);
      auto ps = Napi::Array::New(env, buckets_[k].params.size());
      for (size_t j = 0; j < buckets_[k].params.size(); j++) ps.Set(static_cast<uint32_t>(j), Napi::Number::New(env, buckets_[k].params[j]));
      o.Set("params", ps);
      o.Set("bytes", Napi::Number::New(env, static_cast<double>(buckets_[k].gradNumel * buckets_[k].flat.element_size())));
      arr.Set(static_cast<uint32_t>(k), o);
    }
    return arr;
  }

  std::shared_ptr<Group> group() const { return group_; }

 private:
  struct Hook : public torch::autograd::FunctionPostHook {
    Hook(std::weak_ptr<Reducer> r, size_t i) : reducer(std::move(r)), index(i) {}
    torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                              const torch::autograd::variable_list& /*inputs*/) override {
      if (auto r = reducer.lock()) r->ready(index);
      return outputs;
    }
    std::weak_ptr<Reducer> reducer;
    size_t index;
  };

  // Buckets go out strictly in index order on every rank: Gloo matches collectives by their sequence.
  void launchReady() {
    while (nextBucket_ < buckets_.size() && buckets_[nextBucket_].pending == 0) {
      Bucket& b = buckets_[nextBucket_];
      std::vector<at::Tensor> v{b.flat};
      c10d::AllreduceOptions opts;
      opts.timeout = group_->timeout;
      b.work = group_->pg->allreduce(v, opts);
      launched_.push_back(nextBucket_);
      nextBucket_++;
    }
  }

  std::shared_ptr<Group> group_;
  std::vector<at::Tensor> params_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<bool> ready_;
  std::vector<size_t> launched_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  size_t nextBucket_ = 0;
  bool armed_ = false;
  std::string error_;
  std::mutex mu_;
};

struct ReducerBox {
  uint64_t magic = kReducerMagic;
  std::shared_ptr<Reducer> reducer;
};

static std::shared_ptr<Reducer> unwrapReducer(napi_env env, const Napi::Value& v, const char* what) {
  auto* box = static_cast<ReducerBox*>(unwrapMagic(env, v, kReducerMagic));
  if (box == nullptr || !box->reducer) throw Napi::TypeError::New(env, std::string(what) + ": not a gradient reducer");
  return box->reducer;
}

// createReducer(group, params[], bucketCapBytes) -> reducer
static Napi::Value CreateReducer(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "DistributedDataParallel", [&]() -> Napi::Value {
    auto g = unwrapGroup(env, info[0], "DistributedDataParallel");
    auto arr = info[1].As<Napi::Array>();
    std::vector<at::Tensor> params;
    for (uint32_t i = 0; i < arr.Length(); i++) params.push_back(unwrapTensor(env, arr.Get(i), "DistributedDataParallel"));
    int64_t cap = info[2].As<Napi::Number>().Int64Value();
    auto r = std::make_shared<Reducer>(g, std::move(params), cap);
    r->installHooks();
    auto* box = new ReducerBox();
    box->reducer = r;
    return Napi::External<ReducerBox>::New(env, box, [](Napi::Env, ReducerBox* b) {
      b->magic = 0;
      delete b;
    });
  });
}

static Napi::Value ReducerPrepare(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "DistributedDataParallel.forward", [&]() -> Napi::Value {
    unwrapReducer(env, info[0], "prepare")->prepare();
    return Napi::Env(env).Undefined();
  });
}

// reducerFinish(reducer, timeoutMs?) -> Promise<void>: the gradients are averaged views of the buckets after it.
static Napi::Value ReducerFinish(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  return guarded(env, "DistributedDataParallel", [&]() -> Napi::Value {
    auto r = unwrapReducer(env, info[0], "finish");
    auto works = r->finish();
    auto timeout = timeoutArg(info[1], *r->group());
    auto* w = new WaitWorker(Napi::Env(env), works, timeout, [r]() { r->apply(); });
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

static Napi::Value ReducerAbandon(const Napi::CallbackInfo& info) {
  unwrapReducer(info.Env(), info[0], "abandon")->abandon();
  return info.Env().Undefined();
}

static Napi::Value ReducerBuckets(const Napi::CallbackInfo& info) {
  return unwrapReducer(info.Env(), info[0], "buckets")->describe(info.Env());
}

void registerDistributedFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("distCreateGroup", Napi::Function::New(env, CreateGroup, "distCreateGroup"));
  exports.Set("distDestroyGroup", Napi::Function::New(env, DestroyGroup, "distDestroyGroup"));
  exports.Set("distAllReduce", Napi::Function::New(env, AllReduce, "distAllReduce"));
  exports.Set("distBroadcast", Napi::Function::New(env, Broadcast, "distBroadcast"));
  exports.Set("distAllGather", Napi::Function::New(env, AllGather, "distAllGather"));
  exports.Set("distBarrier", Napi::Function::New(env, Barrier, "distBarrier"));
  exports.Set("distStoreSet", Napi::Function::New(env, StoreSet, "distStoreSet"));
  exports.Set("distStoreGet", Napi::Function::New(env, StoreGet, "distStoreGet"));
  exports.Set("distStoreAdd", Napi::Function::New(env, StoreAdd, "distStoreAdd"));
  exports.Set("distDiagnoseLostRanks", Napi::Function::New(env, DiagnoseLostRanks, "distDiagnoseLostRanks"));
  exports.Set("distAllReduceDifferentiable", Napi::Function::New(env, AllReduceDifferentiable, "distAllReduceDifferentiable"));
  exports.Set("distCreateReducer", Napi::Function::New(env, CreateReducer, "distCreateReducer"));
  exports.Set("distReducerPrepare", Napi::Function::New(env, ReducerPrepare, "distReducerPrepare"));
  exports.Set("distReducerFinish", Napi::Function::New(env, ReducerFinish, "distReducerFinish"));
  exports.Set("distReducerAbandon", Napi::Function::New(env, ReducerAbandon, "distReducerAbandon"));
  exports.Set("distReducerBuckets", Napi::Function::New(env, ReducerBuckets, "distReducerBuckets"));
}

}  // namespace tszoo
