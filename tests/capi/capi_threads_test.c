/* tests/capi/capi_threads_test.c: four application threads generating at once
 * from one model, each with its own session and its own adapter. The texts
 * must equal what each session generates when the four run one at a time.
 * Built twice: in the normal build (label capi) and, with -DEDGERT_TSAN=ON,
 * with the whole library under ThreadSanitizer (label tsan), where any data
 * race in the shared model, adapters, tokenizer or handle registry is a report
 * and a failure.
 *
 * usage: capi_threads_test MODEL.etm
 *
 * Sessions use one thread each: the threads under test are the application's.
 * (A session's own worker pool is pthreadpool, a system library that is not
 * built with the sanitizer, so TSan could not see its synchronization.) */
#include <edgert.h>

#include "capi_check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kThreads = 4, kRounds = 2 };

typedef struct {
  char text[8192];
  size_t length;
} Text;

static int collect(const char* piece, size_t length, void* user_data) {
  Text* t = (Text*)user_data;
  if (t->length + length < sizeof(t->text)) {
    memcpy(t->text + t->length, piece, length);
    t->length += length;
    t->text[t->length] = '\0';
  }
  return 0;
}

typedef struct {
  edgert_session session;
  const char* prompt;
  Text out;
  edgert_status status;
} Job;

static void* run_job(void* arg) {
  Job* job = (Job*)arg;
  memset(&job->out, 0, sizeof(job->out));
  job->status = edgert_generate(job->session, job->prompt, collect, &job->out, NULL);
  return NULL;
}

/* An adapter of its own for each thread: a few steps on a different example. */
static edgert_adapter train_adapter(edgert_model model, int i) {
  char prompt[64], response[64];
  snprintf(prompt, sizeof(prompt), "Draw graph %d.", i);
  snprintf(response, sizeof(response), "digraph { a%d -> b%d; b%d -> c; }", i, i, i);
  const edgert_train_example example = {prompt, response};
  edgert_train_options o = edgert_train_options_default();
  o.max_steps = 3;
  o.lr = 0.05f;
  o.seed = (uint64_t)(100 + i);
  o.threads = 1;
  edgert_trainer trainer = NULL;
  edgert_adapter adapter = NULL;
  MUST(edgert_trainer_create(model, &o, &example, 1, &trainer));
  MUST(edgert_trainer_run(trainer, NULL, NULL, NULL));
  MUST(edgert_trainer_get_adapter(trainer, &adapter));
  MUST(edgert_trainer_destroy(trainer));
  return adapter;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.etm\n", argv[0]);
    return 2;
  }
  static const char* const prompts[kThreads] = {"Draw a graph of a b c.", "A flowchart, please.",
                                                "Sketch the states of a door.", "List three nodes."};
  edgert_model model = NULL;
  MUST(edgert_model_open(argv[1], &model));
  Job jobs[kThreads];
  edgert_adapter adapters[kThreads];
  Text alone[kThreads];
  for (int i = 0; i < kThreads; ++i) {
    adapters[i] = train_adapter(model, i);
    edgert_session_options so = edgert_session_options_default();
    so.threads = 1;
    so.max_tokens = 32;
    so.temperature = 0.7f; /* sampled, so a shared sampler state would show */
    so.seed = (uint64_t)(7 + i);
    memset(&jobs[i], 0, sizeof(jobs[i]));
    MUST(edgert_session_create(model, &so, &jobs[i].session));
    MUST(edgert_session_set_adapter(jobs[i].session, adapters[i], 1.0f));
    jobs[i].prompt = prompts[i];
  }
  /* One at a time: the reference texts. */
  for (int i = 0; i < kThreads; ++i) {
    run_job(&jobs[i]);
    MUST(jobs[i].status);
    alone[i] = jobs[i].out;
  }
  int failures = 0;
  for (int round = 0; round < kRounds; ++round) {
    pthread_t threads[kThreads];
    for (int i = 0; i < kThreads; ++i) {
      if (pthread_create(&threads[i], NULL, run_job, &jobs[i]) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
      }
    }
    for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
    for (int i = 0; i < kThreads; ++i) {
      if (jobs[i].status != EDGERT_OK) {
        fprintf(stderr, "round %d thread %d: %s\n", round, i, edgert_status_name(jobs[i].status));
        ++failures;
      } else if (jobs[i].out.length != alone[i].length || memcmp(jobs[i].out.text, alone[i].text, alone[i].length) != 0) {
        fprintf(stderr, "round %d thread %d: concurrent text differs\n  alone:      %s\n  concurrent: %s\n", round, i,
                alone[i].text, jobs[i].out.text);
        ++failures;
      }
    }
  }
  /* Four different texts (prompts, seeds and adapters differ), so a mix-up between threads would show. */
  int distinct = 0;
  for (int i = 1; i < kThreads; ++i) distinct += strcmp(alone[i].text, alone[0].text) != 0;
  if (distinct == 0) {
    fprintf(stderr, "all four sessions generated the same text\n");
    ++failures;
  }
  for (int i = 0; i < kThreads; ++i) {
    MUST(edgert_session_destroy(jobs[i].session));
    MUST(edgert_adapter_destroy(adapters[i]));
  }
  MUST(edgert_model_close(model));
  if (failures == 0) printf("ok   %d threads x %d rounds, each session's text equal to its run alone\n", kThreads, kRounds);
  return failures == 0 ? 0 : 1;
}
