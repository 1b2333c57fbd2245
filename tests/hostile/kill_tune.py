#!/usr/bin/env python3
"""SIGKILL during edge-tune at random times (issue 23's must-show).

Each chain trains the tiny model for a fixed number of steps, killed with
SIGKILL at a random moment up to three times, each time continued the way a
user would (--resume the checkpoint if there is one, else start again), then
run to the end. Checked: after every kill the checkpoint, when there is one,
passes `edge-convert --verify`; after every next run no temporary file is left
in the folder; the final adapter is byte-identical to an uninterrupted run's.

usage: kill_tune.py BUILD SHARED [--kills N] [--seed S]
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_lib import Tally, must, run, tools  # noqa: E402

TIMEOUT = 120
STEPS = 20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("shared")
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t = tools(args.build)
    rng = random.Random(args.seed)
    start = time.time()
    work = tempfile.mkdtemp(prefix="kill_tune.")
    tally = Tally()
    try:
        m = os.path.join(work, "tiny.etm")
        tokenizer = os.path.join(args.shared, "data/tokenizer/qwen2.5/tokenizer.json")
        must(run([t["convert"], "-q", "--random", "tiny", "--seed", "3", "--quant", "q8_0", "--tokenizer", tokenizer,
                  "--out", m], TIMEOUT), "making the tiny model")
        data = os.path.join(work, "train.jsonl")
        with open(data, "w") as f:
            for i in range(12):
                f.write('{"instruction": "Graph %d.", "response": "digraph { a%d -> b%d; }"}\n' % (i, i, i))
        tune = [t["tune"], "--model", m, "--data", data, "--system", "S.", "--batch", "2", "--threads", "1",
                "--max-steps", str(STEPS), "--save-every", "1"]
        ref = os.path.join(work, "ref.eta")
        began = time.time()
        must(run(tune + ["--out", ref], TIMEOUT), "the uninterrupted run")
        duration = time.time() - began
        with open(ref, "rb") as f:
            reference = f.read()

        chain_dir = os.path.join(work, "chain")
        kills = 0
        chains = 0
        while kills < args.kills:
            chains += 1
            shutil.rmtree(chain_dir, ignore_errors=True)
            os.mkdir(chain_dir)
            out = os.path.join(chain_dir, "a.eta")
            ckpt = out + ".ckpt"

            def command():
                cmd = tune + ["--out", out]
                if os.path.exists(ckpt):
                    cmd += ["--resume", ckpt]
                if os.path.exists(out):
                    cmd += ["--force"]  # killed after the adapter was written: the same run again
                return cmd

            for _ in range(rng.randint(1, 3)):
                if kills >= args.kills:
                    break
                proc = subprocess.Popen(command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                # Loading takes a good part of a run: half the kills aim at the training steps.
                time.sleep(rng.uniform(0, duration) if rng.random() < 0.5 else rng.uniform(duration / 3, duration))
                proc.send_signal(signal.SIGKILL)
                _, err = proc.communicate()
                if proc.returncode != -signal.SIGKILL:  # it had finished: not a kill
                    tally.add("runs that ended before the signal")
                    if proc.returncode != 0:
                        tally.fail(f"chain {chains}: a run ended with {proc.returncode}: {err.decode()[-300:]}")
                    break
                kills += 1
                tally.add("kills")
                if os.path.exists(ckpt):
                    v = run([t["convert"], "--verify", ckpt], TIMEOUT)
                    if v.rc != 0:
                        tally.fail(f"chain {chains}: the checkpoint after a kill does not verify: {v.describe()}")
                    else:
                        tally.add("checkpoints readable after a kill")
                else:
                    tally.add("kills before the first checkpoint")
            final = run(command(), TIMEOUT)
            if final.rc != 0:
                tally.fail(f"chain {chains}: the run after the kills failed: {final.describe()}")
                continue
            left = [n for n in os.listdir(chain_dir) if ".tmp-" in n]
            if left:
                tally.fail(f"chain {chains}: temporary files left after the next run: {left}")
            with open(out, "rb") as f:
                if f.read() == reference:
                    tally.add("chains byte-identical to the uninterrupted run")
                else:
                    tally.fail(f"chain {chains}: the adapter differs from the uninterrupted run's")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tally.report(f"kill_tune seed {args.seed}: {args.kills} kills in {time.time() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
