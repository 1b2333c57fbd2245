// tests/data/quant/make_quant_fixtures.c: writes llama.cpp's own bytes for
// fixed inputs (the fixtures beside this file). Not part of the edge-rt build:
// it links a llama.cpp build (see README.md). Only ggml's public API is used.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"

#define N (32 * 256)

static uint64_t s = 0x243F6A8885A308D3ull;
static double uni(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (double)(s >> 11) / 9007199254740992.0; }
static float gauss(void) { double u = uni() + 1e-12, v = uni(); return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v)); }
static float fb(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bf(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static void dump(const char *name, const void *p, size_t n) { FILE *f = fopen(name, "wb"); fwrite(p, n, 1, f); fclose(f); }

int main(void) {
  static float x[N];
  for (int b = 0; b < N / 32; ++b) {
    float *blk = x + 32 * b;
    int kind = b % 16;
    for (int j = 0; j < 32; ++j) {
      float g = gauss();
      switch (kind) {
        case 0: blk[j] = 0.02f * g; break;
        case 1: blk[j] = 0.0f; break;
        case 2: blk[j] = (float)(j - 16) * 0.5f; break;
        case 3: blk[j] = (j == 5 ? -3.0f : 1.0f * g); break;
        case 4: blk[j] = (j == 9 ? 3.0f : 1.0f * g); break;
        case 5: blk[j] = 1e-8f * g; break;
        case 6: blk[j] = 6e4f * g; break;
        case 7: blk[j] = (float)(j % 3 - 1) * 127.0f; break;
        case 8: blk[j] = (j < 16 ? 2.0f : -2.0f); break;
        case 9: blk[j] = (float)j / 31.0f - 0.5f; break;
        case 10: blk[j] = 1e-3f * g + (j == 0 ? 1.0f : 0.0f); break;
        case 11: blk[j] = (j == 31 ? -1.0f : 0.0f); break;
        case 12: blk[j] = 8.5f / 8.0f * (float)(j - 16) / 16.0f; break;
        case 13: blk[j] = (float)((j * 7919) % 255 - 127) / 127.0f; break;
        case 14: blk[j] = 1e-30f * g; break;
        default: blk[j] = 0.5f * g; break;
      }
    }
  }
  static uint8_t q8[N / 32 * 34], q4[N / 32 * 18];
  static ggml_fp16_t h[N];
  static float dq8[N], dq4[N];
  ggml_quantize_chunk(GGML_TYPE_Q8_0, x, q8, 0, N / 256, 256, NULL);
  ggml_quantize_chunk(GGML_TYPE_Q4_0, x, q4, 0, N / 256, 256, NULL);
  ggml_fp32_to_fp16_row(x, h, N);
  ggml_get_type_traits(GGML_TYPE_Q8_0)->to_float(q8, dq8, N);
  ggml_get_type_traits(GGML_TYPE_Q4_0)->to_float(q4, dq4, N);
  dump("input.f32", x, sizeof x);
  dump("q8_0.bin", q8, sizeof q8);
  dump("q4_0.bin", q4, sizeof q4);
  dump("f16.bin", h, sizeof h);
  dump("q8_0_dequant.f32", dq8, sizeof dq8);
  dump("q4_0_dequant.f32", dq4, sizeof dq4);

  // f32 -> f16 / bf16 sweep: specials, then for every 61st finite half the half
  // itself, the midpoint to the next half (a tie), and the floats either side of
  // it, both signs.
  static float sw[8192];
  int n = 0;
  const uint32_t specials[] = {
      0x00000000, 0x80000000, 0x7f800000, 0xff800000,              // zeros, infinities
      0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x7fffffff, 0xffc00001,  // NaNs with payloads
      0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000,  // 65504, below/at/above the overflow tie, 65536
      0x33800000, 0x33000000, 0x33000001, 0x32ffffff, 0x33c00000,  // 2^-24, 2^-25 (tie to 0), +-ulp, 3*2^-25
      0x38800000, 0x387fc000, 0x387fe000, 0x387ff000, 0x38800001,  // smallest normal half and its neighbours
      0x00000001, 0x00400000, 0x007fffff, 0x00800000,              // f32 subnormals, smallest normal
      0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0x7f7f8000, 0x7f7fffff, 0xff7f8000,  // bf16 ties, overflow
      0x3f800000, 0x3f801000, 0x3f802000, 0x3f803000, 0x3f800fff,  // 1.0 and f16 ties around it
  };
  for (size_t i = 0; i < sizeof specials / sizeof specials[0]; ++i) sw[n++] = fb(specials[i]);
  for (uint32_t hh = 0; hh < 0x7bff; hh += 61) {
    const float a = ggml_fp16_to_fp32((ggml_fp16_t)hh), b2 = ggml_fp16_to_fp32((ggml_fp16_t)(hh + 1));
    const float mid = (float)(((double)a + (double)b2) / 2);  // exact in f32
    const float vals[4] = {a, fb(bf(mid) - 1), mid, fb(bf(mid) + 1)};
    for (int k = 0; k < 4; ++k) { sw[n++] = vals[k]; sw[n++] = -vals[k]; }
  }
  static ggml_fp16_t swh[8192];
  static ggml_bf16_t swb[8192];
  ggml_fp32_to_fp16_row(sw, swh, n);
  ggml_fp32_to_bf16_row_ref(sw, swb, n);
  dump("f16_sweep.f32", sw, (size_t)n * 4);
  dump("f16_sweep.f16", swh, (size_t)n * 2);
  dump("f16_sweep.bf16", swb, (size_t)n * 2);

  // Every half to f32: FNV-1a 64 of the 65536 results (exact; too big to commit).
  static ggml_fp16_t all[65536];
  static float allf[65536];
  for (int i = 0; i < 65536; ++i) all[i] = (ggml_fp16_t)i;
  ggml_fp16_to_fp32_row(all, allf, 65536);
  uint64_t hash = 0xcbf29ce484222325ull;
  const uint8_t *p = (const uint8_t *)allf;
  for (size_t i = 0; i < sizeof allf; ++i) { hash ^= p[i]; hash *= 0x100000001b3ull; }

  // Blocks holding infinities and NaNs (their quants are undefined behaviour in
  // C; only the scales are compared).
  static float nf[8 * 32];
  for (int i = 0; i < 8 * 32; ++i) nf[i] = 0.25f * (float)((i * 37) % 17 - 8);
  nf[0 * 32 + 3] = INFINITY;
  nf[1 * 32 + 7] = -INFINITY;
  nf[2 * 32 + 0] = NAN;                  // NaN first: ggml's MAX keeps the later maximum
  nf[3 * 32 + 31] = NAN;                 // NaN last: the scale becomes NaN
  nf[4 * 32 + 10] = NAN; nf[4 * 32 + 11] = 100.0f;
  nf[5 * 32 + 2] = 3e38f; nf[5 * 32 + 3] = -3e38f;  // finite, overflows the f16 scale
  nf[6 * 32 + 5] = fb(0x7fa00001);       // signalling NaN with payload
  nf[7 * 32 + 0] = -INFINITY; nf[7 * 32 + 1] = INFINITY;
  static uint8_t nq8[8 * 34], nq4[8 * 18];
  ggml_quantize_chunk(GGML_TYPE_Q8_0, nf, nq8, 0, 1, 256, NULL);
  ggml_quantize_chunk(GGML_TYPE_Q4_0, nf, nq4, 0, 1, 256, NULL);
  dump("nonfinite.f32", nf, sizeof nf);
  dump("nonfinite_q8_0.bin", nq8, sizeof nq8);
  dump("nonfinite_q4_0.bin", nq4, sizeof nq4);
  printf("sweep %d values; f16->f32 table FNV-1a 64: 0x%016llx\n", n, (unsigned long long)hash);
  return 0;
}
