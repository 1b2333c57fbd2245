/* tests/capi/capi_test.c: the C API as an application sees it, compiled as
 * C99 with -Wall -Werror against the installed library (capi_test.sh).
 *
 * usage: capi_test MODEL.etm OTHER_MODEL.etm DATA.jsonl WORKDIR
 * MODEL and OTHER_MODEL are tiny random models with different seeds (so
 * different bases); DATA is a small JSONL training file; WORKDIR is writable. */
#include <edgert.h>

#include "capi_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                                                      \
  do {                                                                                                   \
    if (!(cond)) {                                                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond,           \
              edgert_last_error());                                                                      \
      ++failures;                                                                                        \
    }                                                                                                    \
  } while (0)

/* A call that must fail with `want`, leaving a message. */
#define EXPECT_STATUS(want, call)                                                                        \
  do {                                                                                                   \
    edgert_status got_status_ = (call);                                                                  \
    if (got_status_ != (want)) {                                                                         \
      fprintf(stderr, "%s:%d: %s -> %s, expected %s (%s)\n", __FILE__, __LINE__, #call,                  \
              edgert_status_name(got_status_), edgert_status_name(want), edgert_last_error());           \
      ++failures;                                                                                        \
    } else if ((want) != EDGERT_OK && edgert_last_error()[0] == '\0') {                                  \
      fprintf(stderr, "%s:%d: %s failed without a message\n", __FILE__, __LINE__, #call);                \
      ++failures;                                                                                        \
    }                                                                                                    \
  } while (0)

typedef struct {
  char text[16384];
  size_t length;
  int pieces;
  int cancel_after; /* > 0: ask to stop after this many pieces */
  edgert_session session; /* when set: try to re-enter it from the callback */
  edgert_status reentry;
} Collected;

static int collect(const char* piece, size_t length, void* user_data) {
  Collected* c = (Collected*)user_data;
  if (c->length + length < sizeof(c->text)) {
    memcpy(c->text + c->length, piece, length);
    c->length += length;
    c->text[c->length] = '\0';
  }
  ++c->pieces;
  if (c->session != NULL) {
    double ll = 0;
    c->reentry = edgert_score(c->session, NULL, "x", &ll, NULL);
  }
  return c->cancel_after > 0 && c->pieces >= c->cancel_after;
}

static void generate(edgert_session session, const char* prompt, Collected* out) {
  memset(out, 0, sizeof(*out));
  MUST(edgert_generate(session, prompt, collect, out, NULL));
}

typedef struct {
  int calls;
  int64_t last_step;
  int64_t stop_at; /* > 0: ask to stop at this step */
} Progress;

static int on_progress(const edgert_train_progress* p, void* user_data) {
  Progress* g = (Progress*)user_data;
  ++g->calls;
  CHECK(p->step == g->last_step + 1);
  CHECK(p->step <= p->total_steps);
  CHECK(isfinite(p->loss) && p->loss > 0);
  CHECK(p->tokens_per_second > 0);
  CHECK(p->resident_bytes > 0 && p->peak_resident_bytes >= p->resident_bytes);
  g->last_step = p->step;
  return g->stop_at > 0 && p->step >= g->stop_at;
}

static edgert_train_options small_run(const char* checkpoint) {
  edgert_train_options o = edgert_train_options_default();
  o.max_steps = 3;
  o.batch = 2;
  o.lr = 5e-2f; /* large, so three steps move the greedy text of a random model */
  o.lora_r = 4;
  o.max_seq_len = 64;
  o.threads = 1;
  o.checkpoint_path = checkpoint;
  return o;
}

int main(int argc, char** argv) {
  char path[4096], ckpt[4096], want_version[64];
  edgert_model model = NULL, other = NULL;
  edgert_model_info info;
  edgert_session session = NULL, s2 = NULL;
  edgert_session_options so;
  edgert_adapter a = NULL, b = NULL, from_trainer = NULL, scratch = NULL;
  edgert_trainer trainer = NULL;
  edgert_train_options to;
  edgert_train_summary summary;
  edgert_generation_stats stats;
  Collected base, again, with_a, with_b, c;
  Progress progress;
  int32_t ids[64];
  size_t n = 0, len = 0;
  char text[256];
  double ll = 0, ll_a = 0;
  int64_t counted = 0;
  const edgert_train_example examples[4] = {
      {"Graph a to b.", "digraph { a -> b; }"},
      {"Graph b to c.", "digraph { b -> c; }"},
      {"Graph c to d.", "digraph { c -> d; }"},
      {NULL, "graph { x -- y; }"},
  };
  const char* bad_grammar = "root ::= ( \"unclosed\"";
  const char* stops[1] = {"\n\n"};

  if (argc != 5) {
    fprintf(stderr, "usage: capi_test MODEL.etm OTHER_MODEL.etm DATA.jsonl WORKDIR\n");
    return 2;
  }

  /* version */
  snprintf(want_version, sizeof(want_version), "%d.%d.%d", EDGERT_VERSION_MAJOR, EDGERT_VERSION_MINOR,
           EDGERT_VERSION_PATCH);
  CHECK(strcmp(edgert_version(), want_version) == 0);

  /* model and tokenizer */
  MUST(edgert_model_open(argv[1], &model));
  MUST(edgert_model_open(argv[2], &other));
  /* issue 23: a missing file is EDGERT_ERR_NOT_FOUND, as the header documents; a folder is refused */
  {
    edgert_model none = NULL;
    EXPECT_STATUS(EDGERT_ERR_NOT_FOUND, edgert_model_open("/nonexistent/model.etm", &none));
    EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_model_open("/", &none));
    CHECK(strstr(edgert_last_error(), "not a regular file (a folder)") != NULL && none == NULL);
  }
  MUST(edgert_model_get_info(model, &info));
  CHECK(info.num_layers > 0 && info.vocab_size >= info.tokenizer_size && info.parameter_count > 0);
  CHECK(strcmp(info.architecture, "qwen2") == 0);
  MUST(edgert_tokenize(model, "Hello, world", 12, ids, 64, &n));
  CHECK(n > 1);
  MUST(edgert_detokenize(model, ids, n, text, sizeof(text), &len));
  CHECK(len == 12 && strcmp(text, "Hello, world") == 0);
  EXPECT_STATUS(EDGERT_ERR_OUT_OF_RANGE, edgert_tokenize(model, "Hello, world", 12, ids, 1, &len));
  CHECK(len == n); /* tells how much room is needed */

  /* generation: greedy, reproducible */
  so = edgert_session_options_default();
  so.max_tokens = 24;
  so.threads = 1;
  so.context_length = 512;
  MUST(edgert_session_create(model, &so, &session));
  generate(session, "Draw a graph of three cities.", &base);
  CHECK(base.length > 0 && base.pieces > 1);
  generate(session, "Draw a graph of three cities.", &again);
  CHECK(strcmp(base.text, again.text) == 0);
  {
    const edgert_chat_message chat[2] = {{"user", "Hi"}, {"assistant", "Hello"}};
    edgert_chat_message turn[3];
    turn[0] = chat[0];
    turn[1] = chat[1];
    turn[2].role = "user";
    turn[2].content = "Draw a graph.";
    memset(&c, 0, sizeof(c));
    MUST(edgert_generate_chat(session, turn, 3, collect, &c, &stats));
    CHECK(stats.prompt_tokens > 10 && stats.generated_tokens > 0);
  }

  /* cancel from the callback: stops after the first piece */
  memset(&c, 0, sizeof(c));
  c.cancel_after = 1;
  EXPECT_STATUS(EDGERT_CANCELLED, edgert_generate(session, "Draw a graph of three cities.", collect, &c, &stats));
  CHECK(c.pieces == 1 && stats.stop_reason == EDGERT_STOP_CANCELLED);
  CHECK(strncmp(base.text, c.text, c.length) == 0);

  /* the same session from its own callback: busy, not a deadlock or a crash */
  memset(&c, 0, sizeof(c));
  c.session = session;
  c.cancel_after = 1;
  EXPECT_STATUS(EDGERT_CANCELLED, edgert_generate(session, "Hi", collect, &c, NULL));
  CHECK(c.reentry == EDGERT_ERR_BUSY);

  /* scoring */
  MUST(edgert_score(session, "The graph:", " a -> b", &ll, &counted));
  CHECK(isfinite(ll) && ll < 0 && counted > 0);

  /* training A from examples in memory, with a progress callback */
  snprintf(ckpt, sizeof(ckpt), "%s/a.ckpt", argv[4]);
  to = small_run(ckpt);
  MUST(edgert_trainer_create(model, &to, examples, 4, &trainer));
  memset(&progress, 0, sizeof(progress));
  MUST(edgert_trainer_run(trainer, on_progress, &progress, &summary));
  CHECK(progress.calls == 3 && summary.steps == 3 && summary.steps_this_run == 3);
  CHECK(isfinite(summary.first_loss) && isfinite(summary.last_loss));
  snprintf(path, sizeof(path), "%s/a.eta", argv[4]);
  MUST(edgert_trainer_save(trainer, path));
  MUST(edgert_trainer_get_adapter(trainer, &from_trainer));
  MUST(edgert_trainer_destroy(trainer));
  MUST(edgert_adapter_load(model, path, &a));

  /* training B from a file: cancelled from the callback at step 2, then resumed
   * from its checkpoint by a new trainer */
  snprintf(ckpt, sizeof(ckpt), "%s/b.ckpt", argv[4]);
  to = small_run(ckpt);
  to.data_path = argv[3];
  to.max_steps = 4;
  to.seed = 7;
  MUST(edgert_trainer_create(model, &to, NULL, 0, &trainer));
  memset(&progress, 0, sizeof(progress));
  progress.stop_at = 2;
  EXPECT_STATUS(EDGERT_CANCELLED, edgert_trainer_run(trainer, on_progress, &progress, &summary));
  CHECK(summary.steps == 2);
  MUST(edgert_trainer_destroy(trainer));
  MUST(edgert_trainer_create(model, &to, NULL, 0, &trainer));
  MUST(edgert_trainer_resume(trainer, ckpt));
  memset(&progress, 0, sizeof(progress));
  progress.last_step = 2;
  MUST(edgert_trainer_run(trainer, on_progress, &progress, &summary));
  CHECK(summary.steps == 4 && summary.steps_this_run == 2 && progress.calls == 2);
  snprintf(path, sizeof(path), "%s/b.eta", argv[4]);
  MUST(edgert_trainer_save(trainer, path));
  MUST(edgert_trainer_destroy(trainer));
  MUST(edgert_adapter_load(model, path, &b));

  /* adapters: attach, switch, switch back, detach; nothing reloaded */
  MUST(edgert_session_attach_adapter(session, a, 1.0f));
  generate(session, "Draw a graph of three cities.", &with_a);
  CHECK(strcmp(with_a.text, base.text) != 0);
  MUST(edgert_score(session, "The graph:", " a -> b", &ll_a, NULL));
  CHECK(ll_a != ll);
  MUST(edgert_session_set_adapter(session, b, 1.0f));
  generate(session, "Draw a graph of three cities.", &with_b);
  CHECK(strcmp(with_b.text, with_a.text) != 0);
  MUST(edgert_session_set_adapter(session, a, 1.0f));
  generate(session, "Draw a graph of three cities.", &c);
  CHECK(strcmp(c.text, with_a.text) == 0);
  MUST(edgert_session_set_adapter(session, from_trainer, 1.0f)); /* the trainer's copy is the saved adapter */
  generate(session, "Draw a graph of three cities.", &c);
  CHECK(strcmp(c.text, with_a.text) == 0);
  MUST(edgert_session_attach_adapter(session, b, 0.5f)); /* stacked */
  MUST(edgert_session_detach_adapter(session, b));
  EXPECT_STATUS(EDGERT_ERR_NOT_FOUND, edgert_session_detach_adapter(session, b));
  MUST(edgert_session_set_adapter(session, NULL, 0.0f));
  generate(session, "Draw a graph of three cities.", &c);
  CHECK(strcmp(c.text, base.text) == 0);
  MUST(edgert_session_attach_adapter(session, a, 0.0f)); /* scale 0 is the base */
  generate(session, "Draw a graph of three cities.", &c);
  CHECK(strcmp(c.text, base.text) == 0);

  /* ---- bad use: a status and a message, never a crash ---- */
  /* NULL handles and arguments */
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_model_get_info(NULL, &info));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_session_create(NULL, &so, &s2));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_generate(NULL, "x", NULL, NULL, NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_score(NULL, NULL, "x", &ll, NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_session_attach_adapter(session, NULL, 1.0f));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_adapter_load(NULL, path, &scratch));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_trainer_run(NULL, NULL, NULL, NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_trainer_cancel(NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_session_destroy(NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_generate(session, NULL, NULL, NULL, NULL));
  {
    edgert_model unused = NULL;
    EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_model_open(NULL, &unused));
  }
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_model_open(argv[1], NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_model_get_info((edgert_model)session, &info)); /* another kind */
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_model_get_info((edgert_model)(uintptr_t)0x5eed, &info));
  {
    edgert_model missing = NULL;
    snprintf(path, sizeof(path), "%s/no-such-model.etm", argv[4]);
    CHECK(edgert_model_open(path, &missing) != EDGERT_OK && missing == NULL);
  }
  /* an adapter for another base */
  snprintf(path, sizeof(path), "%s/a.eta", argv[4]);
  {
    edgert_adapter wrong = NULL;
    EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_adapter_load(other, path, &wrong));
    CHECK(strstr(edgert_last_error(), "another base") != NULL && wrong == NULL);
    MUST(edgert_session_create(other, &so, &s2));
    EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_session_attach_adapter(s2, a, 1.0f));
    MUST(edgert_session_destroy(s2));
  }
  /* a grammar that does not parse (refused at session creation) */
  so.grammar = bad_grammar;
  s2 = NULL;
  CHECK(edgert_session_create(model, &so, &s2) != EDGERT_OK && s2 == NULL);
  CHECK(strstr(edgert_last_error(), "grammar: session grammar:1:22: expected ')'") != NULL);
  /* a built-in grammar: the output is a whole DOT graph within max_tokens */
  so.grammar = "dot";
  so.max_tokens = 40;
  MUST(edgert_session_create(model, &so, &s2));
  memset(&c, 0, sizeof(c));
  MUST(edgert_generate(s2, "Draw a graph of three cities.", collect, &c, &stats));
  CHECK(stats.generated_tokens <= 40 && c.length > 0 && c.text[c.length - 1 - (c.text[c.length - 1] == '\n')] == '}');
  CHECK(strncmp(c.text, "digraph", 7) == 0 || strncmp(c.text, "graph", 5) == 0 || strncmp(c.text, "strict", 6) == 0);
  MUST(edgert_session_destroy(s2));
  /* issue 23: a max_tokens too small for any whole text of the grammar is refused up front */
  so.max_tokens = 3;
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_session_create(model, &so, &s2));
  CHECK(strstr(edgert_last_error(), "max_tokens 3: too few tokens for the grammar") != NULL);
  so.max_tokens = 40;
  so.grammar = "no-such-grammar";
  CHECK(edgert_session_create(model, &so, &s2) != EDGERT_OK && s2 == NULL);
  so.grammar = NULL;
  so.max_tokens = 24;
  /* a budget too small, options out of range */
  so.budget_bytes = 1u << 20;
  EXPECT_STATUS(EDGERT_ERR_RESOURCE_EXHAUSTED, edgert_session_create(model, &so, &s2));
  so.budget_bytes = 0;
  so.top_p = 2.0f;
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_session_create(model, &so, &s2));
  so.top_p = 1.0f;
  so.context_length = info.max_context + 1;
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_session_create(model, &so, &s2));
  so.context_length = 512;
  so.stop_strings = stops;
  so.stop_string_count = 1;
  so.struct_size = 3;
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_session_create(model, &so, &s2));
  so.struct_size = sizeof(so);
  /* issue 23: thread counts far beyond the cores are refused, naming the limit */
  so.threads = 100000;
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_session_create(model, &so, &s2));
  CHECK(strstr(edgert_last_error(), "threads 100000: at most ") != NULL);
  so.threads = 1;
  to = small_run(NULL);
  to.threads = 100000;
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_trainer_create(model, &to, examples, 4, &trainer));
  CHECK(strstr(edgert_last_error(), "threads 100000: at most ") != NULL);
  to = small_run(NULL);
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_trainer_create(model, &to, NULL, 0, &trainer)); /* no data */
  to.budget_bytes = 1u << 20;
  EXPECT_STATUS(EDGERT_ERR_RESOURCE_EXHAUSTED, edgert_trainer_create(model, &to, examples, 4, &trainer));
  to.budget_bytes = 0;
  to.schedule = "sideways";
  EXPECT_STATUS(EDGERT_ERR_INVALID_ARGUMENT, edgert_trainer_create(model, &to, examples, 4, &trainer));

  /* a closed model: its handle is refused; sessions and adapters made from it
   * keep working */
  MUST(edgert_model_close(model));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_model_get_info(model, &info));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_session_create(model, &so, &s2));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_adapter_load(model, path, &scratch));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_tokenize(model, "x", 1, ids, 64, &n));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_model_close(model));
  MUST(edgert_session_set_adapter(session, a, 1.0f));
  generate(session, "Draw a graph of three cities.", &c);
  CHECK(strcmp(c.text, with_a.text) == 0);

  /* destroyed handles */
  MUST(edgert_adapter_destroy(a));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_session_attach_adapter(session, a, 1.0f));
  generate(session, "Draw a graph of three cities.", &c); /* still attached: the session holds it */
  CHECK(strcmp(c.text, with_a.text) == 0);
  MUST(edgert_session_destroy(session));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_generate(session, "x", NULL, NULL, NULL));
  EXPECT_STATUS(EDGERT_ERR_INVALID_HANDLE, edgert_session_destroy(session));
  MUST(edgert_adapter_destroy(b));
  MUST(edgert_adapter_destroy(from_trainer));
  MUST(edgert_model_close(other));
  CHECK(edgert_last_error()[0] == '\0');

  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_test: all checks passed\n");
  return 0;
}
