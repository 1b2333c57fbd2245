#!/usr/bin/env python3
"""Corrupted model (.etm), adapter (.eta) and checkpoint (.eta.ckpt) files.

Issue 23's must-show: every damaged file is refused in one clear line by
loading and by `edge-convert --verify`, or it means exactly what the original
means; no crash, no hang. Damage, seeded: bit flips in the header or anywhere,
several flips at once, truncation, bytes appended, a zeroed block.

Loading is edge-run --tokens (a model), edge-run --lora (an adapter) and
edge-tune --resume (a checkpoint). "The same meaning" is checked by what the
file does: the same logits (and the same --info) for a model or an adapter,
a byte-identical adapter resumed from a checkpoint. One exception, by design:
loading a model checks its header (metadata, tokenizer, config, tensor index)
but does not hash the tensor bytes (that would read the whole file before the
first token), so damage inside tensor data is refused by --verify only.

usage: corrupt_files.py BUILD SHARED [--models N] [--adapters N] [--seed S]
"""
import argparse
import os
import random
import shutil
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_lib import Tally, must, run, tools  # noqa: E402

TIMEOUT = 60  # seconds per run; the tiny model loads in well under one


def damage(rng, data, header_size):
    """A damaged copy of `data` and the byte offsets it touched (None: not a flip)."""
    kind = rng.choice(["flip-header", "flip-header", "flip-anywhere", "flips", "truncate", "append", "zero-block"])
    out = bytearray(data)
    touched = []

    def flip(at):
        out[at] ^= 1 << rng.randrange(8)
        touched.append(at)

    if kind == "flip-header":
        flip(rng.randrange(header_size))
    elif kind == "flip-anywhere":
        flip(rng.randrange(len(out)))
    elif kind == "flips":
        for _ in range(rng.randint(2, 16)):
            flip(rng.randrange(header_size) if rng.random() < 0.5 else rng.randrange(len(out)))
    elif kind == "truncate":
        del out[rng.randrange(len(out)):]
        touched = None
    elif kind == "append":
        out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 4096)))
        touched = None
    else:
        at = rng.randrange(len(out))
        end = min(len(out), at + 4096)
        if out[at:end] == bytes(end - at):
            return damage(rng, data, header_size)  # already zeros: not damage
        out[at:end] = bytes(end - at)
        touched = list(range(at, end))
    return kind, bytes(out), touched


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def judge(tally, what, verify, load, same_meaning, tensor_damage_only):
    """One damaged file: both refuse, or both accept and it means the same."""
    for name, o in (("--verify", verify), ("load", load)):
        if o.hung:
            return tally.fail(f"{what}: {name} hung ({o.describe()})")
        if o.crashed:
            return tally.fail(f"{what}: {name} crashed ({o.describe()})")
        if o.rc != 0 and not o.one_clear_error:
            return tally.fail(f"{what}: {name} did not refuse in one clear line ({o.describe()})")
    if verify.rc != 0 and load.rc != 0:
        return tally.add("refused by both")
    if verify.rc != 0 and tensor_damage_only:
        return tally.add("tensor bytes: refused by --verify (load does not hash tensors)")
    if verify.rc == 0 and load.rc == 0:
        if same_meaning():
            return tally.add("accepted, same meaning")
        return tally.fail(f"{what}: accepted by both with a different meaning")
    return tally.fail(f"{what}: --verify {'accepts' if verify.rc == 0 else 'refuses'} but load "
                      f"{'accepts' if load.rc == 0 else 'refuses'} (verify: {verify.describe()}; load: {load.describe()})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("shared")
    ap.add_argument("--models", type=int, default=20)
    ap.add_argument("--adapters", type=int, default=20, help="half adapters, half checkpoints")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t = tools(args.build)
    rng = random.Random(args.seed)
    start = time.time()
    work = tempfile.mkdtemp(prefix="corrupt_files.")
    try:
        m = os.path.join(work, "tiny.etm")
        tokenizer = os.path.join(args.shared, "data/tokenizer/qwen2.5/tokenizer.json")
        must(run([t["convert"], "-q", "--random", "tiny", "--seed", "3", "--quant", "q8_0", "--tokenizer", tokenizer,
                  "--out", m], TIMEOUT), "making the tiny model")
        data = os.path.join(work, "train.jsonl")
        write(data, b"".join(b'{"instruction": "Graph %d.", "response": "digraph { n%d; }"}\n' % (i, i) for i in range(4)))
        tune = [t["tune"], "--model", m, "--data", data, "--system", "S.", "--batch", "2", "--threads", "1",
                "--max-steps", "2"]
        a = os.path.join(work, "a.eta")
        must(run(tune + ["--out", a, "--save-every", "1"], TIMEOUT), "training the adapter")
        ckpt = a + ".ckpt"
        logits = os.path.join(work, "logits.npy")
        tokens = ["--tokens", "1,2,3,4,5", "--logits-out", logits, "--threads", "1", "--force"]

        def logits_of(model, *lora):
            o = run([t["run"], "--model", model, *lora, *tokens], TIMEOUT)
            return o, (read(logits) if o.rc == 0 else None)

        def info(model):
            return run([t["convert"], "--info", model, "--json"], TIMEOUT).stdout

        base_logits = must(logits_of(m)[0], "base logits") and read(logits)
        base_info = info(m)
        lora_logits = must(logits_of(m, "--lora", a)[0], "adapter logits") and read(logits)
        resumed = os.path.join(work, "r.eta")

        def resume(path):
            for p in (resumed, resumed + ".ckpt"):
                if os.path.exists(p):
                    os.remove(p)
            return run(tune + ["--out", resumed, "--resume", path], TIMEOUT)

        must(resume(ckpt), "resuming the checkpoint")
        resumed_ref = read(resumed)
        tally = Tally()

        # Models.
        model = read(m)
        header_size = struct.unpack("<I", model[:4])[0] + 4
        bad = os.path.join(work, "bad.etm")
        for i in range(args.models):
            kind, damaged, touched = damage(rng, model, header_size)
            write(bad, damaged)
            verify = run([t["convert"], "--verify", bad], TIMEOUT)
            load, out = logits_of(bad)
            tensor_only = touched is not None and all(at >= header_size for at in touched)
            judge(tally, f"model #{i} ({kind}, offsets {touched[:4] if touched else len(damaged)})", verify, load,
                  lambda: out == base_logits and info(bad) == base_info, tensor_only)
            tally.add("model " + kind)

        # Adapters and checkpoints.
        adapter, checkpoint = read(a), read(ckpt)
        bad_eta = os.path.join(work, "bad.eta")
        for i in range(args.adapters):
            is_ckpt = i % 2 == 1
            original = checkpoint if is_ckpt else adapter
            kind, damaged, touched = damage(rng, original, min(512, len(original)))
            write(bad_eta, damaged)
            verify = run([t["convert"], "--verify", bad_eta], TIMEOUT)
            what = f"{'checkpoint' if is_ckpt else 'adapter'} #{i} ({kind}, offsets {touched[:4] if touched else len(damaged)})"
            if is_ckpt:
                load = resume(bad_eta)
                judge(tally, what, verify, load, lambda: read(resumed) == resumed_ref, False)
            else:
                load, out = logits_of(m, "--lora", bad_eta)
                judge(tally, what, verify, load, lambda: out == lora_logits, False)
            tally.add(("checkpoint " if is_ckpt else "adapter ") + kind)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    code = tally.report(f"corrupt_files seed {args.seed}: {args.models} models, {args.adapters} adapters/checkpoints "
                        f"in {time.time() - start:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
