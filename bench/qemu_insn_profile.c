/* bench/qemu_insn_profile.c: a QEMU TCG plugin that counts the guest
 * instructions a process executes per translated block and writes, at exit,
 * one line per block start address: "vaddr instructions" (hex, decimal) to
 * the file named by $EDGERT_INSN_PROFILE (stderr when unset).
 * bench/insn_profile.py maps the addresses to the program's functions (its
 * symbol table; qemu-user loads a PIE at 0x5500000000) and those to kernel
 * operators; "map" lines after them give the guest's shared libraries (see
 * OnExit). As bench/qemu_insn_count.c, the entry points are declared here
 * from QEMU's documented plugin API (version 1, QEMU 7.x), and the inline
 * adds are not atomic: profile single-threaded runs (--threads 1). */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*udata_cb)(qemu_plugin_id_t id, void* userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb* tb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb* tb, enum qemu_plugin_op op, void* ptr,
                                                     uint64_t imm);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void* userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One record per translation (a block may be translated more than once:
 * the output sums records by address). Records are never freed or moved:
 * the translated code holds a pointer to its counter. */
struct Block {
  uint64_t vaddr;
  uint64_t insns; /* instructions executed in this translation, all runs */
};
static struct Block** blocks;
static size_t n_blocks, cap_blocks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void OnTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  struct Block* b = calloc(1, sizeof(*b));
  if (b == NULL) return;
  b->vaddr = qemu_plugin_tb_vaddr(tb);
  pthread_mutex_lock(&lock);
  if (n_blocks == cap_blocks) {
    size_t cap = cap_blocks ? 2 * cap_blocks : 4096;
    struct Block** grown = realloc(blocks, cap * sizeof(*grown));
    if (grown == NULL) {
      pthread_mutex_unlock(&lock);
      free(b);
      return;
    }
    blocks = grown;
    cap_blocks = cap;
  }
  blocks[n_blocks++] = b;
  pthread_mutex_unlock(&lock);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->insns, qemu_plugin_tb_n_insns(tb));
}

static void OnExit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  const char* path = getenv("EDGERT_INSN_PROFILE");
  FILE* out = path != NULL ? fopen(path, "w") : stderr;
  if (out == NULL) out = stderr;
  uint64_t total = 0;
  for (size_t i = 0; i < n_blocks; ++i) {
    if (blocks[i]->insns == 0) continue;
    fprintf(out, "%" PRIx64 " %" PRIu64 "\n", blocks[i]->vaddr, blocks[i]->insns);
    total += blocks[i]->insns;
  }
  /* qemu-user places the guest at host address 0 here ("guest_base 0"), so
   * the host's map of its own address space names the guest's libraries:
   * copied for insn_profile.py to attribute blocks outside the executable. */
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps != NULL) {
    char line[512];
    while (fgets(line, sizeof line, maps) != NULL) {
      if (strstr(line, "aarch64-linux-gnu") != NULL) fprintf(out, "map %s", line);
    }
    fclose(maps);
  }
  fprintf(stderr, "insns %" PRIu64 "\n", total);
  if (out != stderr) fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t* info,
                                                               int argc, char** argv) {
  (void)info;
  (void)argc;
  (void)argv;
  qemu_plugin_register_vcpu_tb_trans_cb(id, OnTranslate);
  qemu_plugin_register_atexit_cb(id, OnExit, NULL);
  return 0;
}
