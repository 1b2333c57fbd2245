/* bench/capi_bench.c: decode speed through the C API, as an app gets it
 * (edgert_generate: sampling, detokenizing, the streaming callback, stop-string
 * hold-back), to set beside edge-run --bench (bench/compare_capi.sh).
 *
 * usage: capi_bench MODEL.etm THREADS GEN_TOKENS RUNS
 * Prints one JSON object: the median decode tokens/s over RUNS generations of
 * GEN_TOKENS tokens (greedy) after a fixed raw prompt. */
#include <edgert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_piece(const char* piece, size_t length, void* user_data) {
  (void)piece;
  *(size_t*)user_data += length;
  return 0;
}

static int compare_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s MODEL.etm THREADS GEN_TOKENS RUNS\n", argv[0]);
    return 2;
  }
  const int threads = atoi(argv[2]), runs = atoi(argv[4]);
  const long gen = atol(argv[3]);
  if (threads <= 0 || gen <= 0 || runs <= 0 || runs > 100) {
    fprintf(stderr, "error: THREADS, GEN_TOKENS and RUNS (at most 100) must be positive\n");
    return 2;
  }
  edgert_model model = NULL;
  edgert_session session = NULL;
  edgert_session_options so = edgert_session_options_default();
  so.threads = threads;
  so.max_tokens = gen;
  so.temperature = 0; /* greedy, as edge-run --bench */
  so.raw_prompt = 1;
  if (edgert_model_open(argv[1], &model) != EDGERT_OK || edgert_session_create(model, &so, &session) != EDGERT_OK) {
    fprintf(stderr, "error: %s\n", edgert_last_error());
    return 1;
  }
  /* About 64 tokens of ordinary text. */
  const char* prompt =
      "The quick brown fox jumps over the lazy dog while the committee reviews the quarterly report, "
      "and meanwhile engineers measure how fast a small language model decodes tokens on an ordinary laptop "
      "without a graphics card, one token after another.";
  double tps[100];
  long tokens = 0;
  for (int r = 0; r < runs; ++r) {
    size_t bytes = 0;
    edgert_generation_stats stats;
    if (edgert_generate(session, prompt, count_piece, &bytes, &stats) != EDGERT_OK) {
      fprintf(stderr, "error: %s\n", edgert_last_error());
      return 1;
    }
    tokens = (long)stats.generated_tokens;
    /* Every generated token is one forward pass in decode time (the last one
     * too: it enters the KV cache), as each of edge-run --bench's --gen-tokens. */
    tps[r] = stats.decode_seconds > 0 ? (double)stats.generated_tokens / stats.decode_seconds : 0;
  }
  qsort(tps, (size_t)runs, sizeof(double), compare_double);
  printf("{\"threads\": %d, \"generated_tokens\": %ld, \"runs\": %d, \"decode_tokens_per_s\": %.3f}\n", threads, tokens,
         runs, tps[runs / 2]);
  edgert_session_destroy(session);
  edgert_model_close(model);
  return 0;
}
