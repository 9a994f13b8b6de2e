// One pass of Pillow's 8-bit antialiased resample (Resample.c, ImagingResampleHorizontal/Vertical_8bpc)
// for src/data/image/resample.ts, which computes the coefficients: per output a first input index and
// a tap count, and 22-bit fixed-point weights. Sums are int32 with Pillow's rounding, so the results are
// Pillow's, bit for bit.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

constexpr int kPrecisionBits = 22;

inline uint8_t clip8(int32_t ss) {
  const int32_t v = ss >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "resample8: expected a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < 0 || d > 2147483647.0) {
    throw Napi::RangeError::New(info.Env(), "resample8: sizes and offsets must be non-negative integers");
  }
  return static_cast<int64_t>(d);
}

template <typename T>
T typedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("resample8: ") + what);
  }
  return info[i].As<T>();
}

// resample8(src: Uint8Array, dst: Uint8Array, bounds: Int32Array, weights: Int32Array, ksize, outSize,
//           tap, outStep, lines, inLine, outLine, inOffset, outOffset): void
// Output xx of line l: dst[outOffset + l*outLine + xx*outStep] from the bounds[2xx+1] inputs starting at
// src[inOffset + l*inLine + bounds[2xx]*tap], `tap` apart, weighted by weights[xx*ksize ...].
Napi::Value Resample8(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 13) throw Napi::TypeError::New(env, "resample8: 13 arguments");
  auto src = typedArg<Napi::Uint8Array>(info, 0, napi_uint8_array, "src must be a Uint8Array");
  auto dst = typedArg<Napi::Uint8Array>(info, 1, napi_uint8_array, "dst must be a Uint8Array");
  auto bounds = typedArg<Napi::Int32Array>(info, 2, napi_int32_array, "bounds must be an Int32Array");
  auto weights = typedArg<Napi::Int32Array>(info, 3, napi_int32_array, "weights must be an Int32Array");
  const int64_t ksize = intArg(info, 4), outSize = intArg(info, 5), tap = intArg(info, 6), outStep = intArg(info, 7),
                lines = intArg(info, 8), inLine = intArg(info, 9), outLine = intArg(info, 10),
                inOffset = intArg(info, 11), outOffset = intArg(info, 12);
  if (lines == 0 || outSize == 0) return env.Undefined();
  // Every index this pass touches must be inside its array: checked here, not trusted.
  if (static_cast<int64_t>(bounds.ElementLength()) < 2 * outSize ||
      static_cast<int64_t>(weights.ElementLength()) < outSize * ksize) {
    throw Napi::RangeError::New(env, "resample8: bounds or weights shorter than the outputs need");
  }
  const int32_t* b = bounds.Data();
  const int32_t* k = weights.Data();
  int64_t maxIn = 0;
  for (int64_t xx = 0; xx < outSize; xx++) {
    const int64_t first = b[2 * xx], n = b[2 * xx + 1];
    if (first < 0 || n < 0 || n > ksize) throw Napi::RangeError::New(env, "resample8: bad bounds");
    if (n > 0) maxIn = std::max(maxIn, first + n - 1);
  }
  const int64_t lastIn = inOffset + (lines - 1) * inLine + maxIn * tap;
  const int64_t lastOut = outOffset + (lines - 1) * outLine + (outSize - 1) * outStep;
  if (lastIn >= static_cast<int64_t>(src.ByteLength()) || lastOut >= static_cast<int64_t>(dst.ByteLength())) {
    throw Napi::RangeError::New(env, "resample8: the pass reaches past src or dst");
  }
  const uint8_t* s = src.Data();
  uint8_t* d = dst.Data();
  const int32_t half = 1 << (kPrecisionBits - 1);
  if (inLine == 1 && outLine == 1) {
    // lines side by side (the vertical pass: one line per column): accumulate whole rows, contiguously
    static thread_local std::vector<int32_t> acc;
    acc.resize(static_cast<size_t>(lines));
    for (int64_t xx = 0; xx < outSize; xx++) {
      std::fill(acc.begin(), acc.end(), half);
      const int64_t n = b[2 * xx + 1];
      const uint8_t* row = s + inOffset + b[2 * xx] * tap;
      const int32_t* kw = k + xx * ksize;
      for (int64_t x = 0; x < n; x++, row += tap) {
        const int32_t w = kw[x];
        for (int64_t l = 0; l < lines; l++) acc[l] += row[l] * w;
      }
      uint8_t* o = d + outOffset + xx * outStep;
      for (int64_t l = 0; l < lines; l++) o[l] = clip8(acc[l]);
    }
    return env.Undefined();
  }
  // Exact reductions by 2 or 4 (1024 -> 256): an output whose 2f taps carry the weights
  // (1, 3, ..., 2f-1, 2f-1, ..., 3, 1) * 2^22 / (2f^2) equals (S + f^2) >> log2(2f^2) for the small-integer
  // weighted sum S, Pillow's integer exactly. runEnd[xx] > xx marks a run of such outputs whose windows
  // step by f; there a sliding sum reads each input once.
  static thread_local std::vector<int32_t> factor, runEnd;
  factor.assign(static_cast<size_t>(outSize), 0);
  runEnd.assign(static_cast<size_t>(outSize), 0);
  for (int64_t xx = 0; xx < outSize; xx++) {
    const int64_t n = b[2 * xx + 1];
    const int64_t f = n / 2;
    if (n % 2 != 0 || (f != 2 && f != 4)) continue;
    const int32_t unit = (1 << kPrecisionBits) / static_cast<int32_t>(2 * f * f);
    bool exact = true;
    for (int64_t x = 0; x < n && exact; x++) exact = k[xx * ksize + x] == (2 * std::min(x, n - 1 - x) + 1) * unit;
    if (exact) factor[xx] = static_cast<int32_t>(f);
  }
  for (int64_t xx = 0; xx < outSize;) {
    const int32_t f = factor[xx];
    int64_t end = xx + 1;
    if (f != 0) {
      while (end < outSize && factor[end] == f && b[2 * end] == b[2 * end - 2] + f) end++;
      runEnd[xx] = static_cast<int32_t>(end);
    }
    xx = end;
  }
  const int64_t t2 = 2 * tap, t3 = 3 * tap, t4 = 4 * tap;
  for (int64_t l = 0; l < lines; l++) {
    const uint8_t* line = s + inOffset + l * inLine;
    uint8_t* o = d + outOffset + l * outLine;
    for (int64_t xx = 0; xx < outSize;) {
      if (runEnd[xx] > xx) {
        const int64_t end = runEnd[xx];
        const uint8_t* p = line + b[2 * xx] * tap;
        if (factor[xx] == 4) {
          int32_t rise = p[0] + 3 * p[tap] + 5 * p[t2] + 7 * p[t3];
          for (; xx < end; xx++) {
            p += t4;
            const int32_t a = p[0], bb = p[tap], c = p[t2], dd = p[t3];
            const int32_t next = a + 3 * bb + 5 * c + 7 * dd;
            o[xx * outStep] = static_cast<uint8_t>((rise + 8 * (a + bb + c + dd) - next + 16) >> 5);
            rise = next;
          }
        } else {
          int32_t rise = p[0] + 3 * p[tap];
          for (; xx < end; xx++) {
            p += t2;
            const int32_t a = p[0], bb = p[tap];
            const int32_t next = a + 3 * bb;
            o[xx * outStep] = static_cast<uint8_t>((rise + 4 * (a + bb) - next + 4) >> 3);
            rise = next;
          }
        }
        continue;
      }
      const int64_t n = b[2 * xx + 1];
      const uint8_t* p = line + b[2 * xx] * tap;
      const int32_t* kw = k + xx * ksize;
      int32_t ss = half;
      for (int64_t x = 0; x < n; x++, p += tap) ss += *p * kw[x];
      o[xx * outStep] = clip8(ss);
      xx++;
    }
  }
  return env.Undefined();
}

}  // namespace

void RegisterResample(Napi::Env env, Napi::Object exports) {
  exports.Set("resample8", Napi::Function::New(env, Resample8, "resample8"));
}
