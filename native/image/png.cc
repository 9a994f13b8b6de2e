// The native half of the PNG fast path (src/data/image/png/): inflate a PNG's zlib stream with
// libdeflate and reverse the row filters, on libuv's thread pool. No LibTorch in this addon
// (tszoo_image.node, with resample.cc): it loads in decode worker threads in a few milliseconds.
#include <libdeflate.h>
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Extra room past the header's image size: trailing data after the image is tolerated (as libpng does).
constexpr size_t kSlack = 1 << 20;
// A pool thread keeps its buffer for the next file up to this size (a 4096x4096 RGBA image fits).
constexpr size_t kKeep = size_t{80} << 20;

const char* resultText(libdeflate_result r) {
  switch (r) {
    case LIBDEFLATE_BAD_DATA:
      return "corrupt zlib stream";
    case LIBDEFLATE_SHORT_OUTPUT:
      return "zlib stream shorter than expected";
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return "more image data than the header's size";
    default:
      return "zlib error";
  }
}

inline uint8_t paeth(int a, int b, int c) {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  return static_cast<uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// Reverses the five filter types of PNG (spec section 9) from `raw` (each row after its filter byte)
// into `out` (rows contiguous). `zero` is a row of zeros: the row above the first.
std::string unfilter(const uint8_t* raw, uint8_t* out, const uint8_t* zero, uint32_t height, size_t rowBytes,
                     uint32_t bpp) {
  for (uint32_t y = 0; y < height; y++) {
    const uint8_t* s = raw + y * (rowBytes + 1);
    const uint8_t f = *s++;
    uint8_t* o = out + y * rowBytes;
    const uint8_t* up = y == 0 ? zero : o - rowBytes;
    const size_t lead = bpp < rowBytes ? bpp : rowBytes;
    switch (f) {
      case 0:
        for (size_t i = 0; i < rowBytes; i++) o[i] = s[i];
        break;
      case 1:
        for (size_t i = 0; i < lead; i++) o[i] = s[i];
        for (size_t i = bpp; i < rowBytes; i++) o[i] = static_cast<uint8_t>(s[i] + o[i - bpp]);
        break;
      case 2:
        for (size_t i = 0; i < rowBytes; i++) o[i] = static_cast<uint8_t>(s[i] + up[i]);
        break;
      case 3:
        for (size_t i = 0; i < lead; i++) o[i] = static_cast<uint8_t>(s[i] + (up[i] >> 1));
        for (size_t i = bpp; i < rowBytes; i++) o[i] = static_cast<uint8_t>(s[i] + ((o[i - bpp] + up[i]) >> 1));
        break;
      case 4:
        for (size_t i = 0; i < lead; i++) o[i] = static_cast<uint8_t>(s[i] + up[i]);
        for (size_t i = bpp; i < rowBytes; i++) o[i] = static_cast<uint8_t>(s[i] + paeth(o[i - bpp], up[i], up[i - bpp]));
        break;
      default:
        return "row " + std::to_string(y) + " has unknown filter type " + std::to_string(f);
    }
  }
  return "";
}

// Per pool thread: a decompressor and a buffer for the filtered rows, reused up to kKeep bytes.
struct ThreadState {
  libdeflate_decompressor* decompressor = nullptr;
  std::unique_ptr<uint8_t[]> raw;
  size_t rawSize = 0;
  std::unique_ptr<uint8_t[]> zero;
  size_t zeroSize = 0;
};
thread_local ThreadState state;

class InflatePngWorker : public Napi::AsyncWorker {
 public:
  InflatePngWorker(Napi::Env env, Napi::Uint8Array idat, Napi::Uint8Array out, uint32_t height, size_t rowBytes,
                   uint32_t bpp)
      : Napi::AsyncWorker(env, "tszoo.inflatePng"),
        deferred_(Napi::Promise::Deferred::New(env)),
        idatRef_(Napi::Persistent(idat)),
        outRef_(Napi::Persistent(out)),
        in_(idat.Data()),
        inLen_(idat.ByteLength()),
        out_(out.Data()),
        height_(height),
        rowBytes_(rowBytes),
        bpp_(bpp) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (state.decompressor == nullptr) state.decompressor = libdeflate_alloc_decompressor();
    if (state.decompressor == nullptr) return SetError("out of memory for the zlib decompressor");
    const size_t expected = static_cast<size_t>(height_) * (rowBytes_ + 1);
    if (state.rawSize < expected + kSlack) {
      state.raw.reset(new (std::nothrow) uint8_t[expected + kSlack]);
      state.rawSize = state.raw ? expected + kSlack : 0;
      if (!state.raw) return SetError("out of memory for the image data");
    }
    if (state.zeroSize < rowBytes_) {
      state.zero.reset(new (std::nothrow) uint8_t[rowBytes_]());
      state.zeroSize = state.zero ? rowBytes_ : 0;
      if (!state.zero) return SetError("out of memory for the image data");
    }
    size_t actual = 0;
    const libdeflate_result r =
        libdeflate_zlib_decompress(state.decompressor, in_, inLen_, state.raw.get(), state.rawSize, &actual);
    if (r != LIBDEFLATE_SUCCESS) return SetError(resultText(r));
    if (actual < expected) {
      return SetError("image data too short: " + std::to_string(actual) + " bytes for " + std::to_string(height_) +
                      " rows of " + std::to_string(rowBytes_));
    }
    const std::string err = unfilter(state.raw.get(), out_, state.zero.get(), height_, rowBytes_, bpp_);
    if (state.rawSize > kKeep) {  // do not hold a huge image's buffer for the thread's life
      state.raw.reset();
      state.rawSize = 0;
    }
    if (!err.empty()) SetError(err);
  }

  void OnOK() override { deferred_.Resolve(outRef_.Value()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Uint8Array> idatRef_;  // keeps the input alive while a pool thread reads it
  Napi::Reference<Napi::Uint8Array> outRef_;
  const uint8_t* in_;
  size_t inLen_;
  uint8_t* out_;
  uint32_t height_;
  size_t rowBytes_;
  uint32_t bpp_;
};

// inflatePng(idat, out, height, rowBytes, bpp): Promise<out>, with out filled with the unfiltered rows.
Napi::Value InflatePng(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 5 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
      !info[3].IsNumber() || !info[4].IsNumber()) {
    throw Napi::TypeError::New(env, "inflatePng(idat: Uint8Array, out: Uint8Array, height, rowBytes, bpp)");
  }
  const auto idat = info[0].As<Napi::TypedArray>();
  const auto out = info[1].As<Napi::TypedArray>();
  if (idat.TypedArrayType() != napi_uint8_array || out.TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "inflatePng: idat and out must be Uint8Arrays");
  }
  const double height = info[2].As<Napi::Number>().DoubleValue();
  const double rowBytes = info[3].As<Napi::Number>().DoubleValue();
  const double bpp = info[4].As<Napi::Number>().DoubleValue();
  const bool whole = height == static_cast<double>(static_cast<int64_t>(height)) &&
                     rowBytes == static_cast<double>(static_cast<int64_t>(rowBytes)) &&
                     bpp == static_cast<double>(static_cast<int64_t>(bpp));
  if (!whole || height < 1 || rowBytes < 1 || bpp < 1 || bpp > 8 || height * (rowBytes + 1) > 2147483647.0) {
    throw Napi::RangeError::New(env, "inflatePng: height, rowBytes and bpp must be positive integers (bpp <= 8, "
                                     "image below 2 GiB)");
  }
  if (static_cast<double>(out.ByteLength()) != height * rowBytes) {
    throw Napi::RangeError::New(env, "inflatePng: out must hold height * rowBytes bytes");
  }
  auto* worker = new InflatePngWorker(env, idat.As<Napi::Uint8Array>(), out.As<Napi::Uint8Array>(),
                                      static_cast<uint32_t>(height), static_cast<size_t>(rowBytes),
                                      static_cast<uint32_t>(bpp));
  const Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterResample(Napi::Env env, Napi::Object exports);  // resample.cc

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("inflatePng", Napi::Function::New(env, InflatePng, "inflatePng"));
  RegisterResample(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tszoo_image, Init)
