#!/usr/bin/env bash
# --budget as a promise, measured: edge-run and edge-tune on random-weight
# Qwen2.5 shapes at Q8_0 at several budgets, weights resident and streamed by
# layer (budgets below the weights' size), each job inside its own cgroup v1
# memory controller whose limit equals the budget (page cache counts there
# too), when the machine allows (root, /sys/fs/cgroup/memory); else without.
#
#   bench/memory_budget.sh [BUILD_DIR]
#   env: PRESET (qwen2.5-0.5b; qwen2.5-1.5b runs its own job list)  THREADS (2)  CGROUP (1; 0: none)
#        STEPS (3: optimizer steps per training job, a checkpoint written after each)
#        WORK (temp dir: the model, the data, every job's output)  ONLY (run the jobs whose name has this)
#
# Per job: the plan's predicted peak (--plan --json), the process's peak RSS
# (VmHWM via /usr/bin/time %M), the cgroup's memory.max_usage_in_bytes and
# failcnt, OOM kills, exit status, major faults and throughput. The model
# file's pages are dropped from the page cache before every job
# (posix_fadvise DONTNEED on that file only), so every job reads its weights
# through its own cgroup. Writes WORK/results.tsv. The host is shared: the
# load average is printed beside each figure.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
PRESET="${PRESET:-qwen2.5-0.5b}"; THREADS="${THREADS:-2}"; STEPS="${STEPS:-3}"
TOKENIZER="${EDGERT_SHARED_DIR:-../shared}/data/tokenizer/qwen2.5/tokenizer.json"
WORK="${WORK:-$(mktemp -d)}"; mkdir -p "$WORK"
RUN="$BUILD/tools/edge_run/edge-run"; TUNE="$BUILD/tools/edge_tune/edge-tune"
MODEL="$WORK/$PRESET-q8_0.etm"
[ -f "$MODEL" ] || "$BUILD/tools/edge_convert/edge-convert" -q --random "$PRESET" --seed 1 --quant q8_0 \
  --tokenizer "$TOKENIZER" --out "$MODEL" >/dev/null

# Training data: examples longer than any --max-seq-len used here, so every
# sequence fills the planned length (the plan is a bound by --max-seq-len).
python3 - "$WORK/long.jsonl" <<'EOF'
import json, sys
edges = " ".join(f"n{i} -> n{i + 1};" for i in range(400))
with open(sys.argv[1], "w") as f:
    for k in range(8):
        f.write(json.dumps({"instruction": f"Graph number {k}.", "response": "digraph { " + edges + " }"}) + "\n")
EOF

CGROOT=/sys/fs/cgroup/memory
use_cgroup=0
if [ "${CGROUP:-1}" = 1 ] && [ "$(id -u)" -eq 0 ] && [ -w "$CGROOT" ]; then use_cgroup=1; fi
echo "$PRESET Q8_0 ($(du -m "$MODEL" | cut -f1) MB file), $THREADS threads, cgroup limit = budget: $([ $use_cgroup = 1 ] && echo yes || echo "no (CGROUP=0, or not root, or no $CGROOT)")"
printf "%-40s %9s %10s %10s %10s %8s %7s %9s %14s %6s\n" job budget_MiB plan_MiB VmHWM_MiB cgroup_MiB failcnt oom_kill exit major_faults load
printf "job\tbudget_bytes\tpredicted_bytes\tvmhwm_bytes\tcgroup_max_bytes\tfailcnt\toom_kill\texit\tmajor_faults\tthroughput\tload\n" >"$WORK/results.tsv"

drop_model_cache() {
  python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)" "$MODEL"
}

# job NAME BUDGET CMD...: plans, then runs CMD with --budget BUDGET inside a
# fresh cgroup limited to BUDGET bytes.
job() {
  local name=$1 budget=$2; shift 2
  [[ "$name" == *"${ONLY:-}"* ]] || return 0
  local bytes; bytes=$(python3 -c "
import re,sys; m=re.fullmatch(r'([0-9.]+)([KMGT]?)(i?)B?', sys.argv[1]); n=float(m.group(1))
print(int(n * (1024 if m.group(3) else 1000) ** ' KMGT'.index(m.group(2) or ' ')))" "$budget")
  local predicted; predicted=$("$@" --budget "$budget" --plan --json | python3 -c "import json,sys; print(json.load(sys.stdin)['predicted_peak_bytes'])")
  drop_model_cache
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local cg="" status=0
  if [ $use_cgroup = 1 ]; then
    cg="$CGROOT/edgert-bench-$$-$name"
    mkdir "$cg"
    echo "$bytes" >"$cg/memory.limit_in_bytes"
    bash -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ "$cg" \
      /usr/bin/time -f "%M %F" -o "$WORK/$name.time" "$@" --budget "$budget" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
  else
    /usr/bin/time -f "%M %F" -o "$WORK/$name.time" "$@" --budget "$budget" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
  fi
  local hwm_kb major; read -r hwm_kb major < <(tail -1 "$WORK/$name.time")
  local cgmax=0 failcnt=- oomkill=-
  if [ -n "$cg" ]; then
    cgmax=$(cat "$cg/memory.max_usage_in_bytes"); failcnt=$(cat "$cg/memory.failcnt")
    oomkill=$(awk '/^oom_kill /{print $2}' "$cg/memory.oom_control"); oomkill=${oomkill:--}
    rmdir "$cg"
  fi
  local tput
  tput=$(python3 - "$WORK/$name.out" "$WORK/$name.err" <<'EOF'
import json, re, sys
out, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
try:
    j = json.loads(out)
    print(f"prefill {j['prefill_tokens_per_s']:.1f} decode {j['decode_tokens_per_s']:.1f} tok/s")
except Exception:
    m = re.search(r"([0-9.]+) tok/s training", err)
    print(f"train {m.group(1)} tok/s" if m else "-")
EOF
)
  printf "%-40s %9.1f %10.1f %10.1f %10.1f %8s %7s %9s %14s %6s  %s\n" "$name" "$(echo "$bytes/1048576" | bc -l)" \
    "$(echo "$predicted/1048576" | bc -l)" "$(echo "$hwm_kb/1024" | bc -l)" "$(echo "$cgmax/1048576" | bc -l)" \
    "$failcnt" "$oomkill" "$status" "$major" "$load" "$tput"
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$name" "$bytes" "$predicted" "$((hwm_kb * 1024))" "$cgmax" \
    "$failcnt" "$oomkill" "$status" "$major" "$tput" "$load" >>"$WORK/results.tsv"
  [ "$status" -eq 0 ] || { echo "  $name failed (exit $status):"; tail -3 "$WORK/$name.err" | sed 's/^/  /'; }
}

RUNJOB=("$RUN" --model "$MODEL" --bench --prompt-tokens 128 --gen-tokens 32 --threads "$THREADS" --json)
TUNEJOB=(--model "$MODEL" --data "$WORK/long.jsonl" --max-steps "$STEPS" --save-every 1 --threads "$THREADS"
         --no-shuffle --seed 1)
tune() { local name=$1 budget=$2; shift 2; job "$name" "$budget" "$TUNE" "${TUNEJOB[@]}" --out "$WORK/$name.eta" --force "$@"; }

case "$PRESET" in
  qwen2.5-0.5b)  # weights: 501 MiB of tensors
    job run-1G-resident 1GB "${RUNJOB[@]}"
    job run-400M-streamed 400MB "${RUNJOB[@]}"
    tune tune-1G-seq512-resident 1GB --max-seq-len 512
    tune tune-1.5G-seq512-resident 1.5GB --max-seq-len 512  # issue 3's job: layers kept to fill it
    tune tune-700M-seq512-streamed 700MB --max-seq-len 512
    tune tune-480M-seq256-streamed 480MB --max-seq-len 256
    ;;
  qwen2.5-1.5b)  # weights: 1.6 GiB of tensors
    job run-3G-resident 3GB "${RUNJOB[@]}"
    job run-1G-streamed 1GB "${RUNJOB[@]}"
    tune tune-12G-seq512-resident 12GB --max-seq-len 512
    tune tune-3.5G-seq512-resident 3.5GB --max-seq-len 512  # issue 3's 1.5B job
    tune tune-2G-seq512-streamed 2GB --max-seq-len 512
    ;;
  *) echo "no job list for $PRESET"; exit 1 ;;
esac
echo "(files in $WORK; results.tsv)"
