/* edgert.h: the C API of edge-rt (libedgert): run and LoRA-fine-tune Qwen2
 * models on CPUs from an application written in C (or anything with a C FFI).
 *
 * Conventions
 * - C99; no C++ types cross this header. Every object is an opaque handle.
 * - Every call returns an edgert_status. On anything but EDGERT_OK,
 *   edgert_last_error() says in words what went wrong (thread-local; valid
 *   until the next edgert_* call on the same thread). No exception and no
 *   abort crosses the API: bad input, a NULL or closed handle, exhausted
 *   memory all come back as a status.
 * - Handles are not pointers to memory: a destroyed or closed handle is
 *   recognised and refused (EDGERT_ERR_INVALID_HANDLE), never dereferenced.
 *   Destroying a handle that another thread is using is safe: the call in
 *   flight finishes on its own reference.
 * - Lifetimes: sessions, adapters and trainers keep their model alive. Closing
 *   a model invalidates the model handle at once (new sessions, adapters or
 *   queries through it are refused); its mapping is released when the last
 *   session, adapter and trainer made from it is destroyed.
 * - Threads: a model, its tokenizer and its adapters serve any number of
 *   threads at once. A session or a trainer is used by one thread at a time;
 *   a second concurrent call on the same one returns EDGERT_ERR_BUSY
 *   (edgert_trainer_cancel is the exception: call it from anywhere).
 * - Strings are UTF-8, NUL-terminated unless a length is given. Strings the
 *   library hands to a callback live only for the duration of that call.
 * - Option structs grow at their end only. Fill one with its _default()
 *   function, then change fields; struct_size tells the library which fields
 *   your build knows.
 */
#ifndef EDGERT_H_
#define EDGERT_H_

#include <stddef.h>
#include <stdint.h>

#define EDGERT_VERSION_MAJOR 0
#define EDGERT_VERSION_MINOR 1
#define EDGERT_VERSION_PATCH 0
/* The shared library's SONAME is libedgert.so.EDGERT_ABI_VERSION; it changes
 * whenever a declaration here changes incompatibly. */
#define EDGERT_ABI_VERSION 0

#if defined(EDGERT_BUILDING_LIBRARY) && defined(__GNUC__)
#define EDGERT_API __attribute__((visibility("default")))
#else
#define EDGERT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and version ------------------------------------------------ */

typedef enum edgert_status {
  EDGERT_OK = 0,
  EDGERT_ERR_INVALID_ARGUMENT = 1,  /* the caller passed something unusable */
  EDGERT_ERR_NOT_FOUND = 2,         /* a file, key or token that should exist does not */
  EDGERT_ERR_IO = 3,                /* the OS refused a read, write, map or rename */
  EDGERT_ERR_CORRUPT_FILE = 4,      /* bytes on disk contradict their format */
  EDGERT_ERR_UNSUPPORTED = 5,       /* valid, but this build cannot do it */
  EDGERT_ERR_OUT_OF_RANGE = 6,      /* an index, id or length past its limit; a buffer too small */
  EDGERT_ERR_RESOURCE_EXHAUSTED = 7,/* memory, or the budget would be exceeded */
  EDGERT_CANCELLED = 8,             /* a callback or edgert_trainer_cancel asked to stop; results so far are valid */
  EDGERT_ERR_INTERNAL = 9,          /* a broken invariant of ours: please report it */
  EDGERT_ERR_INVALID_HANDLE = 10,   /* NULL, destroyed, closed, or a handle of another kind */
  EDGERT_ERR_BUSY = 11              /* the session or trainer is in use by another thread */
} edgert_status;

/* "major.minor.patch" of the library actually loaded (compare with the macros). */
EDGERT_API const char* edgert_version(void);
/* What went wrong in the last failed call on this thread ("" if it succeeded). */
EDGERT_API const char* edgert_last_error(void);
/* "ok", "invalid argument", ... */
EDGERT_API const char* edgert_status_name(edgert_status status);

/* ---- models and tokenizer ---------------------------------------------- */

typedef struct edgert_model_s* edgert_model;

typedef struct edgert_model_info {
  const char* architecture;  /* "qwen2" or "llama"; static storage */
  int64_t vocab_size;        /* embedding rows (padded vocabulary) */
  int64_t hidden_size;
  int64_t intermediate_size;
  int64_t num_layers;
  int64_t num_heads;
  int64_t num_kv_heads;
  int64_t head_dim;
  int64_t max_context;       /* max_position_embeddings */
  int64_t parameter_count;
  uint64_t file_bytes;
  int32_t tokenizer_size;    /* one past the largest token id */
} edgert_model_info;

/* Maps `path` (.etm) read-only and verifies it. One model serves many threads. */
EDGERT_API edgert_status edgert_model_open(const char* path, edgert_model* out_model);
/* Invalidates the handle (see Lifetimes above). */
EDGERT_API edgert_status edgert_model_close(edgert_model model);
EDGERT_API edgert_status edgert_model_get_info(edgert_model model, edgert_model_info* out_info);

/* Token ids of `text` (`length` bytes): no template, no BOS. Writes at most
 * `capacity` ids and sets *out_count to how many there are; when that is more
 * than `capacity`, returns EDGERT_ERR_OUT_OF_RANGE (call again with more room). */
EDGERT_API edgert_status edgert_tokenize(edgert_model model, const char* text, size_t length, int32_t* ids,
                                         size_t capacity, size_t* out_count);
/* The text of `ids` (unknown ids refused) into `text`, NUL-terminated;
 * *out_length is its length without the NUL. Too small a buffer: as above. */
EDGERT_API edgert_status edgert_detokenize(edgert_model model, const int32_t* ids, size_t count, char* text,
                                           size_t capacity, size_t* out_length);

/* ---- sessions: generation and scoring ----------------------------------- */

typedef struct edgert_session_s* edgert_session;

typedef struct edgert_session_options {
  uint32_t struct_size;        /* sizeof(edgert_session_options); set by the _default function */
  int32_t threads;             /* 0: one per performance core (SMT siblings and efficiency cores not counted) */
  uint64_t budget_bytes;       /* 0: none; else peak memory this session may lead to, refused up front if too small */
  int64_t context_length;      /* KV positions; 0: min(4096, the model's), or what fits the budget */
  /* sampling, Hugging Face's rules and order */
  float temperature;           /* <= 0: greedy */
  int32_t top_k;               /* 0: off */
  float top_p;                 /* 1: off */
  float min_p;                 /* 0: off */
  float repetition_penalty;    /* 1: off */
  uint64_t seed;               /* same seed, same text */
  int64_t max_tokens;          /* generated tokens at most per call */
  const char* system_prompt;   /* NULL: the model's default */
  /* NULL or "": free text. Else GBNF text (anything containing "::="), a
   * built-in grammar's name ("dot", "json", "mermaid", "NAME-fenced" for the
   * ```NAME fenced block) or the path of a .gbnf file. Generation then only
   * produces text of the grammar and always brings it to a valid end within
   * max_tokens. A grammar that does not compile fails edgert_session_create
   * with its line and column. */
  const char* grammar;
  const char* const* stop_strings;  /* generation ends before the first; not emitted */
  size_t stop_string_count;
  int32_t raw_prompt;          /* nonzero: edgert_generate's prompt is the model input as is, no chat template */
} edgert_session_options;

EDGERT_API edgert_session_options edgert_session_options_default(void);

/* Copies everything it needs from `options` (strings included). */
EDGERT_API edgert_status edgert_session_create(edgert_model model, const edgert_session_options* options,
                                               edgert_session* out_session);
EDGERT_API edgert_status edgert_session_destroy(edgert_session session);

typedef enum edgert_stop_reason {
  EDGERT_STOP_END_TOKEN = 0,
  EDGERT_STOP_STOP_STRING = 1,
  EDGERT_STOP_MAX_TOKENS = 2,
  EDGERT_STOP_CONTEXT_FULL = 3,
  EDGERT_STOP_CANCELLED = 4
} edgert_stop_reason;

typedef struct edgert_generation_stats {
  int64_t prompt_tokens;
  int64_t generated_tokens;
  edgert_stop_reason stop_reason;
  double prefill_seconds;
  double decode_seconds;
} edgert_generation_stats;

/* Receives the generated text as it becomes final, in complete UTF-8
 * characters (text that might begin a stop string is held back). Return 0 to
 * go on, nonzero to stop: the call then returns EDGERT_CANCELLED. */
typedef int (*edgert_text_callback)(const char* piece, size_t length, void* user_data);

typedef struct edgert_chat_message {
  const char* role;     /* "system", "user" or "assistant" */
  const char* content;
} edgert_chat_message;

/* Each call is a new conversation (the KV cache starts empty), so the same
 * options and seed give the same text. `callback` and `stats` may be NULL. */
EDGERT_API edgert_status edgert_generate(edgert_session session, const char* prompt, edgert_text_callback callback,
                                         void* user_data, edgert_generation_stats* stats);
/* The messages rendered with the model's chat template (the session's system
 * prompt first unless messages[0] is a system message), then the assistant's turn. */
EDGERT_API edgert_status edgert_generate_chat(edgert_session session, const edgert_chat_message* messages,
                                              size_t count, edgert_text_callback callback, void* user_data,
                                              edgert_generation_stats* stats);

/* log p(text | context) under the session's model and adapters: the sum of
 * the natural-log probabilities of text's tokens, each given everything
 * before it. `context` may be NULL or "" (then text's first token, having
 * nothing before it, is not counted). *out_tokens: tokens counted (may be NULL). */
EDGERT_API edgert_status edgert_score(edgert_session session, const char* context, const char* text,
                                      double* out_log_likelihood, int64_t* out_tokens);

/* ---- adapters ----------------------------------------------------------- */

typedef struct edgert_adapter_s* edgert_adapter;

/* Loads a LoRA adapter (.eta) made for `model`; one made for another base
 * model is refused. An adapter may be attached to many sessions at once. */
EDGERT_API edgert_status edgert_adapter_load(edgert_model model, const char* path, edgert_adapter* out_adapter);
EDGERT_API edgert_status edgert_adapter_destroy(edgert_adapter adapter);

/* Adds `adapter` beside the session's frozen weights, y += scale·(alpha/r)·B·A·x
 * (never merged); adapters stack. Attaching one already attached changes its
 * scale. Takes effect from the next generate/score call. */
EDGERT_API edgert_status edgert_session_attach_adapter(edgert_session session, edgert_adapter adapter, float scale);
EDGERT_API edgert_status edgert_session_detach_adapter(edgert_session session, edgert_adapter adapter);
/* Switches persona: detaches all, then attaches `adapter` (NULL: the base model alone). */
EDGERT_API edgert_status edgert_session_set_adapter(edgert_session session, edgert_adapter adapter, float scale);

/* ---- LoRA training ------------------------------------------------------ */

typedef struct edgert_trainer_s* edgert_trainer;

/* edge-tune's options, with its defaults (`edge-tune --help`). */
typedef struct edgert_train_options {
  uint32_t struct_size;
  const char* data_path;        /* JSON array or JSONL; NULL when examples are given in memory */
  const char* val_path;         /* NULL: none (or val_split) */
  double val_split;             /* 0: off */
  const char* replay_path;      /* older examples to mix in; NULL: none */
  double replay_ratio;
  const char* checkpoint_path;  /* NULL: no checkpoints */
  const char* init_adapter;     /* PEFT folder or .eta to start from; NULL: a new adapter */
  const char* system_prompt;    /* NULL: the model's default */
  int32_t lora_r;
  float lora_alpha;
  float lora_dropout;           /* dropout on each LoRA branch's input while training */
  int32_t rslora;
  const char* targets;          /* "all" or "q_proj,v_proj,..." */
  int64_t epochs;
  int64_t max_steps;            /* > 0: this many steps, epochs ignored */
  int64_t batch;
  int64_t grad_accum;
  float lr;
  const char* schedule;         /* "linear", "cosine" or "constant" */
  double warmup_ratio;
  int64_t warmup_steps;         /* >= 0: instead of warmup_ratio */
  float weight_decay;
  double max_grad_norm;         /* <= 0: no clipping */
  uint64_t seed;
  int32_t shuffle;
  int64_t eval_every;
  int64_t early_stop_patience;
  int64_t save_every;
  int64_t max_seq_len;          /* 0: min(1024, the model's context) */
  int32_t train_on_prompt;
  int32_t skip_bad_lines;
  int32_t threads;              /* 0: one per performance core (SMT siblings and efficiency cores not counted) */
  uint64_t budget_bytes;        /* 0: none; else peak memory of the job: planned as edge-tune's --budget (kept layers, loss chunk, weights streamed by layer, max_seq_len when 0), refused up front if too small */
} edgert_train_options;

EDGERT_API edgert_train_options edgert_train_options_default(void);

/* One example in memory: a user turn and the answer to learn (ChatML, loss
 * on the answer), or plain text (prompt NULL: every token trained). */
typedef struct edgert_train_example {
  const char* prompt;
  const char* response;
} edgert_train_example;

/* Tokenizes the data (options->data_path, or `examples` when count > 0) and
 * prepares the adapter; training starts with edgert_trainer_run. */
EDGERT_API edgert_status edgert_trainer_create(edgert_model model, const edgert_train_options* options,
                                               const edgert_train_example* examples, size_t count,
                                               edgert_trainer* out_trainer);
EDGERT_API edgert_status edgert_trainer_destroy(edgert_trainer trainer);

/* Continues the same run from a checkpoint (same settings, data and start). */
EDGERT_API edgert_status edgert_trainer_resume(edgert_trainer trainer, const char* checkpoint_path);

typedef struct edgert_train_progress {
  int64_t step;              /* 1-based, after the update */
  int64_t total_steps;
  double epoch;              /* fractional */
  double loss;               /* mean over the step's trained tokens */
  double eval_loss;          /* NaN when no evaluation ran after this step */
  float learning_rate;
  double tokens_per_second;  /* this step's tokens over its time */
  uint64_t resident_bytes;   /* the process's resident memory now */
  uint64_t peak_resident_bytes;
} edgert_train_progress;

/* Called after every optimizer step. Return 0 to go on, nonzero to stop. */
typedef int (*edgert_progress_callback)(const edgert_train_progress* progress, void* user_data);

typedef struct edgert_train_summary {
  int64_t steps;             /* optimizer steps taken, resumed ones included */
  int64_t steps_this_run;
  double first_loss, last_loss;  /* NaN when no step ran */
  double best_eval_loss;         /* NaN without validation */
  int32_t stopped_early;
  int64_t tokens_this_run;
  double seconds_this_run;
} edgert_train_summary;

/* Trains to the end (or early stop). When the callback or edgert_trainer_cancel
 * stops it, the unfinished step is dropped, a checkpoint of the last whole one
 * is written (when checkpoint_path is set) and EDGERT_CANCELLED is returned;
 * running again continues. `callback` and `summary` may be NULL. */
EDGERT_API edgert_status edgert_trainer_run(edgert_trainer trainer, edgert_progress_callback callback, void* user_data,
                                            edgert_train_summary* summary);
/* Asks a running edgert_trainer_run to stop after the current sequence; any thread. */
EDGERT_API edgert_status edgert_trainer_cancel(edgert_trainer trainer);
/* Writes the adapter as it is now (.eta, bound to the model). */
EDGERT_API edgert_status edgert_trainer_save(edgert_trainer trainer, const char* adapter_path);
/* Also as a PEFT folder (adapter_model.safetensors + adapter_config.json). */
EDGERT_API edgert_status edgert_trainer_export_peft(edgert_trainer trainer, const char* folder);
/* The adapter as it is now, as an adapter handle to attach to sessions (a copy). */
EDGERT_API edgert_status edgert_trainer_get_adapter(edgert_trainer trainer, edgert_adapter* out_adapter);

#ifdef __cplusplus
}
#endif

#endif /* EDGERT_H_ */
