#!/usr/bin/env python3
"""Random command lines over every edge-* tool (issue 23's CLI fuzzer).

Each invocation is a random mix of a tool's flags, each with a sensible value
or a hostile one (empty, negative, huge, NaN, a missing file, a folder, a
FIFO, a device, an input given as the output, an existing output). Checked
for every one: it ends within the time limit; no signal and no sanitizer
report; exit code 0 or 1; on 1, exactly one "error: " line on stderr and it
is the last; on failure no file appears in (and none changes in) the output
folder; never a temporary file left; the inputs never change.

Run it against an ASan/UBSan build (-DEDGERT_SANITIZE=ON) to check for
sanitizer reports. usage: cli_fuzz.py BUILD SHARED [--runs N] [--seed S] [--timeout SEC]
"""
import argparse
import hashlib
import os
import random
import shutil
import stat
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_lib import Tally, must, run, tools  # noqa: E402

HOSTILE = ["", "-1", "0", "nan", "inf", "-inf", "1e30", "abc", "99999999999999999999", "1.5", "0x10", " 3", "3 ",
           "--", "-", "=", "\u00e9\u00e8", "x" * 5000]


def value_pools(i, o):
    """Sensible values by kind; `i` is the inputs folder, `o` the (per-run) outputs folder."""
    missing = os.path.join(i, "missing.etm")
    return {
        "model": [f"{i}/tiny.etm"] * 6 + [missing, i, f"{i}/fifo", "/dev/zero", f"{i}/train.jsonl", f"{i}/a.eta"],
        "adapter": [f"{i}/a.eta"] * 4 + [f"{i}/a.eta:0.5", f"{i}/a.eta:nan", f"{i}/a.eta:", f"{i}/a.eta:inf",
                                         f"{i}/other.eta", f"{i}/fifo", i, f"{i}/tiny.etm", f"{i}/peft", missing],
        "data": [f"{i}/train.jsonl"] * 5 + [f"{i}/prompts.jsonl", f"{i}/empty.jsonl", f"{i}/broken.jsonl",
                                            f"{i}/fifo", i, "/dev/zero", missing, f"{i}/tiny.etm"],
        "prompts": [f"{i}/prompts.jsonl"] * 4 + [f"{i}/train.jsonl", f"{i}/empty.jsonl", f"{i}/broken.jsonl",
                                                 f"{i}/fifo", missing],
        "grammar": ["json", "dot", "mermaid", "dot-fenced", "nope", f"{i}/small.gbnf", f"{i}/bad.gbnf",
                    f"{i}/fifo", missing, "", i],
        "ckpt": [f"{i}/a.eta.ckpt"] * 3 + [f"{i}/a.eta", missing, f"{i}/fifo", f"{i}/tiny.etm"],
        "out": [f"{o}/x.out", f"{o}/y.out", f"{o}/existing", f"{o}/nowhere/x", o, f"{i}/train.jsonl",
                f"{i}/tiny.etm", f"{o}/fifo", ""],
        "outdir": [f"{o}/dir", f"{o}/dir2", f"{o}/existing", f"{i}/peft", ""],
        "int": ["0", "1", "2", "3", "8", "-3", "100000"],
        "small": ["1", "2", "3", "4"],
        "float": ["0", "0.5", "1", "1.1", "2", "-1", "1e-3"],
        "lr": ["1e-3", "5e-3", "0", "-1", "1e30"],
        "size": ["1GB", "2GiB", "800MB", "1MB", "0", "1e30", "0.5", "12XB", "1.5GB"],
        "text": ["hi", "Draw a graph.", "", "\u4f60\u597d", "<|im_start|>", "x" * 3000],
        "tokens": ["1,2,3", "1", "", "-1", "1,,2", "999999999", "abc", ",".join(["5"] * 300)],
        "quant": ["f32", "f16", "bf16", "q8_0", "q4_0", "q2_k", ""],
        "preset": ["tiny", "qwen2.5-9t", f"{i}/train.jsonl", missing],
        "format": ["mermaid", "dot", "svg", ""],
        "schedule": ["linear", "cosine", "constant", "warp", ""],
        "targets": ["all", "q_proj", "q_proj,v_proj", "lm_head", "", "q_proj,q_proj"],
        "tokenizer": [f"{i}/tokenizer.json"] * 3 + [missing, f"{i}/train.jsonl", f"{i}/fifo"],
        "flag": [None],
    }


# Each tool: its flags by kind, and those it needs (given most of the time).
TOOLS = {
    "convert": {
        "needs": {"--random": "preset", "--tokenizer": "tokenizer", "--out": "out"},
        "flags": {"--from": "model", "--random": "preset", "--info": "model", "--verify": "model", "--out": "out",
                  "--quant": "quant", "--tokenizer": "tokenizer", "--seed": "int", "--json": "flag", "--quiet": "flag",
                  "--force": "flag", "--help": "flag"},
    },
    "run": {
        "needs": {"--model": "model", "--prompt": "text", "--max-tokens": "small", "--threads": "small"},
        "flags": {"--model": "model", "--prompt": "text", "--raw": "flag", "--system": "text", "--max-tokens": "small",
                  "--temperature": "float", "--top-k": "int", "--top-p": "float", "--min-p": "float",
                  "--repeat-penalty": "float", "--seed": "int", "--stop": "text", "--grammar": "grammar",
                  "--threads": "int", "--context": "int", "--tokens": "tokens", "--logits-out": "out",
                  "--tokenize": "flag", "--bench": "flag", "--prompt-tokens": "small", "--gen-tokens": "small",
                  "--json": "flag", "--budget": "size", "--plan": "flag", "--chat": "flag", "--input": "prompts",
                  "--output": "out", "--lora": "adapter", "--force": "flag"},
    },
    "tune": {
        "needs": {"--model": "model", "--data": "data", "--out": "out", "--max-steps": "small", "--threads": "small",
                  "--batch": "small"},
        "flags": {"--model": "model", "--data": "data", "--val": "data", "--val-split": "float", "--out": "out",
                  "--checkpoint": "out", "--budget": "size", "--plan": "flag", "--json": "flag", "--lora-r": "int",
                  "--lora-alpha": "float", "--lora-dropout": "float", "--rslora": "flag", "--targets": "targets",
                  "--epochs": "small", "--max-steps": "small", "--batch": "small", "--grad-accum": "small",
                  "--lr": "lr", "--schedule": "schedule", "--warmup-ratio": "float", "--warmup-steps": "int",
                  "--weight-decay": "float", "--max-grad-norm": "float", "--max-seq-len": "int", "--seed": "int",
                  "--eval-every": "int", "--early-stop-patience": "int", "--save-every": "int", "--resume": "ckpt",
                  "--init-adapter": "adapter", "--export-peft": "outdir", "--system": "text",
                  "--train-on-prompt": "flag", "--skip-bad-lines": "flag", "--replay": "data",
                  "--replay-ratio": "float", "--threads": "int", "--json-log": "out", "--no-shuffle": "flag",
                  "--force": "flag"},
    },
    "eval": {
        "needs": {"--model": "model", "--prompts": "prompts", "--format": "format", "--max-tokens": "small",
                  "--threads": "small", "--limit": "small"},
        "flags": {"--model": "model", "--lora": "adapter", "--prompts": "prompts", "--format": "format",
                  "--grammar": "flag", "--compare-base": "flag", "--responses": "flag", "--max-tokens": "small",
                  "--threads": "int", "--seed": "int", "--temperature": "float", "--system": "text",
                  "--limit": "small", "--json": "out", "--report": "out", "--training-log": "data",
                  "--force": "flag"},
    },
    "export": {
        "needs": {"--model": "model", "--lora": "adapter"},
        "flags": {"--model": "model", "--lora": "adapter", "--merge": "flag", "--quant": "quant", "--out": "out",
                  "--gguf": "out", "--gguf-lora": "out", "--peft": "outdir", "--ollama": "outdir", "--force": "flag"},
    },
}


def command(rng, tool, exe, pools):
    spec = TOOLS[tool]
    args = []

    def value(kind):
        if kind == "flag":
            return None
        if rng.random() < 0.9:
            return rng.choice(pools[kind])
        return rng.choice(HOSTILE)

    for flag, kind in spec["needs"].items():
        if rng.random() < 0.95:
            args.append(flag)
            v = value(kind)
            if v is not None:
                args.append(v)
    flags = [f for f in spec["flags"] if f != "--help" or rng.random() < 0.05]
    for flag in rng.sample(flags, k=min(len(flags), rng.randint(0, 5))):
        kind = spec["flags"][flag]
        args.append(flag)
        v = value(kind)
        if v is not None:
            args.append(v)
    if rng.random() < 0.03:
        args.append(rng.choice(["--no-such-flag", "positional", "-z"]))
    return [exe] + args


def read_paths(tool, cmd, inputs_dir):
    """The files under inputs_dir this command reads (values of its flags that are not outputs),
    relative to inputs_dir; an adapter's ":SCALE" and a PEFT folder's files included. Other
    files there are not its inputs: with --force it may replace them."""
    kinds = TOOLS[tool]["flags"]
    read = set()
    for flag, v in zip(cmd[1:], cmd[2:]):
        if kinds.get(flag) in (None, "flag", "out", "outdir") or not v.startswith(inputs_dir + "/"):
            continue
        rel = os.path.relpath(v.rsplit(":", 1)[0] if kinds[flag] == "adapter" and ":" in v else v, inputs_dir)
        read.update({rel, rel + "/adapter_model.safetensors", rel + "/adapter_config.json"})
    return read


def snapshot(folder, contents=True):
    """Every file under folder: relative path -> (size, sha1), or (size, mtime) without `contents`."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            seen[os.path.relpath(os.path.join(root, d), folder) + "/"] = None
        for f in files:
            p = os.path.join(root, f)
            try:
                if not os.path.isfile(p):
                    seen[os.path.relpath(p, folder)] = "special"
                    continue
                if not contents:
                    st = os.stat(p)
                    seen[os.path.relpath(p, folder)] = (st.st_size, st.st_mtime_ns)
                    continue
                with open(p, "rb") as fh:
                    seen[os.path.relpath(p, folder)] = (os.path.getsize(p), hashlib.sha1(fh.read()).hexdigest())
            except OSError:
                seen[os.path.relpath(p, folder)] = "unreadable"
    return seen


def make_inputs(t, shared, i):
    tokenizer_src = os.path.join(shared, "data/tokenizer/qwen2.5/tokenizer.json")
    shutil.copy(tokenizer_src, f"{i}/tokenizer.json")
    must(run([t["convert"], "-q", "--random", "tiny", "--seed", "3", "--quant", "q8_0", "--tokenizer", tokenizer_src,
              "--out", f"{i}/tiny.etm"], 300), "making the tiny model")
    must(run([t["convert"], "-q", "--random", "tiny", "--seed", "4", "--quant", "q8_0", "--tokenizer", tokenizer_src,
              "--out", f"{i}/other.etm"], 300), "making the other model")
    with open(f"{i}/train.jsonl", "w") as f:
        for k in range(4):
            f.write('{"instruction": "Graph %d.", "response": "digraph { n%d; }"}\n' % (k, k))
    with open(f"{i}/prompts.jsonl", "w") as f:
        f.write('{"instruction": "Draw a graph.", "response": "flowchart TD\\n  A --> B"}\n{"prompt": "hi"}\n')
    open(f"{i}/empty.jsonl", "w").close()
    with open(f"{i}/broken.jsonl", "w") as f:
        f.write('{"instruction": "x", "response": "y"}\n{"instruction": \n[1, 2\n')
    with open(f"{i}/small.gbnf", "w") as f:
        f.write('root ::= "yes" | "no"\n')
    with open(f"{i}/bad.gbnf", "w") as f:
        f.write('root ::= missing\n')
    tune = [t["tune"], "--data", f"{i}/train.jsonl", "--max-steps", "1", "--batch", "2", "--threads", "1"]
    must(run(tune + ["--model", f"{i}/tiny.etm", "--out", f"{i}/a.eta", "--export-peft", f"{i}/peft"], 300), "adapter")
    must(run(tune + ["--model", f"{i}/other.etm", "--out", f"{i}/other.eta"], 300), "other adapter")
    os.remove(f"{i}/other.eta.ckpt")
    os.mkfifo(f"{i}/fifo")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("shared")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    t = tools(os.path.abspath(args.build))
    args.shared = os.path.abspath(args.shared)
    rng = random.Random(args.seed)
    start = time.time()
    work = tempfile.mkdtemp(prefix="cli_fuzz.")
    os.chdir(work)  # hostile values are relative paths too: whatever they make stays in here
    tally = Tally()
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    try:
        i = os.path.join(work, "in")
        os.mkdir(i)
        make_inputs(t, args.shared, i)
        inputs = snapshot(i, contents=False)
        o = os.path.join(work, "out")
        pools = value_pools(i, o)
        for n in range(args.runs):
            shutil.rmtree(o, ignore_errors=True)
            os.mkdir(o)
            with open(f"{o}/existing", "w") as f:
                f.write("keep\n")
            # Stands in for /dev/null: as root, an output written over a device replaced
            # it with a regular file (this fuzzer once did that to the machine's /dev/null).
            os.mkfifo(f"{o}/fifo")
            before = snapshot(o)
            tool = rng.choice(list(TOOLS))
            cmd = command(rng, tool, t[tool], pools)
            what = f"#{n} {' '.join(repr(a) if (not a or ' ' in a) else a for a in cmd)[:600]}"
            r = run(cmd, args.timeout, env=env)
            tally.add("runs")
            if n and n % 500 == 0:  # a long run stopped early still says how far it got
                print(f"after {n} runs, {time.time() - start:.0f} s: " +
                      ", ".join(f"{k} {v}" for k, v in sorted(tally.counts.items())), flush=True)
            if r.hung:
                tally.fail(f"{what}: hung ({r.describe()})")
            elif r.crashed:
                tally.fail(f"{what}: crashed or a sanitizer report ({r.describe()})")
            elif r.rc not in (0, 1):
                tally.fail(f"{what}: exit {r.rc}")
            elif "error: internal error:" in r.stderr:  # an exception escaped (cli::RunTool caught it)
                tally.fail(f"{what}: an exception escaped ({r.describe()})")
            elif r.rc == 1:
                tally.add("refused")
                lines = r.stderr.splitlines()
                # --chat refuses each message the context cannot hold on its own line and goes on.
                one_line = len(r.error_lines) == 1 or ("--chat" in cmd and r.error_lines)
                if not one_line or not lines or not lines[-1].startswith("error: "):
                    tally.fail(f"{what}: not exactly one error line, last ({r.describe()})")
                after = snapshot(o)
                if after != before:
                    changed = sorted(set(after.items()) ^ set(before.items()))
                    tally.fail(f"{what}: failed but the output folder changed: {changed[:4]} ({r.describe()})")
            else:
                tally.add("succeeded")
            if not stat.S_ISFIFO(os.lstat(f"{o}/fifo").st_mode):
                tally.fail(f"{what}: replaced a FIFO given as an output with a regular file")
            temps = [p for p in snapshot(o) if ".tmp-" in p] + [p for p in inputs if ".tmp-" in p]
            if temps:
                tally.fail(f"{what}: temporary files left: {temps}")
            # Never over an input: every input file is still there, unchanged (new
            # files in an input folder, e.g. --ollama into a PEFT folder, are not a write over one).
            now = snapshot(i, contents=False)
            read = read_paths(tool, cmd, i)
            changed = sorted(p for p, v in inputs.items() if now.get(p) != v and p in read)
            if changed:
                tally.fail(f"{what}: an input changed or went: {changed[:4]}")
            inputs = now  # files this command did not read may be replaced (--force): the next one reads those
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tally.report(f"cli_fuzz seed {args.seed}: {args.runs} runs in {time.time() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
