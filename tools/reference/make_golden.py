#!/usr/bin/env python3
"""Golden fixtures for the C++ forward-pass tests, from the PyTorch reference.

    make_golden.py MODEL.etm OUT_DIR NAME [--prompt-len T] [--positions 0,15] [--greedy N]
                   [--vocab-stride S] [--top1]

Writes into OUT_DIR (NumPy .npy, little-endian, C order):
  NAME.ids.npy        int32 [T]        the prompt (fixed ids from a seeded generator)
  NAME.positions.npy  int32 [P]        positions whose logits are stored
  NAME.logits.npy     f32 [P, V/S]     reference logits at those positions, every S-th vocabulary id
  NAME.absmax.npy     f32 [P]          the largest |logit| over the whole vocabulary at each position
  NAME.greedy.npy     int32 [N]        greedy continuation of the prompt (--greedy N)
  NAME.top1.npy       int32 [T]        argmax at every position (--top1)
The reference computes in float64 on the model's weights as stored (quantized
weights dequantized exactly). See tests/data/golden/README.md for the commands
that made the committed fixtures.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import etm  # noqa: E402
import qwen2  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("name")
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--positions", default="0,15")
    ap.add_argument("--greedy", type=int, default=0)
    ap.add_argument("--vocab-stride", type=int, default=1)
    ap.add_argument("--top1", action="store_true")
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    t0 = time.time()
    cfg, w, _ = etm.load(a.model)
    ids = [int(i) for i in np.random.default_rng(a.seed).integers(0, 150000, a.prompt_len)]
    positions = [int(p) for p in a.positions.split(",")]
    with torch.no_grad():
        logits = qwen2.forward(cfg, w, ids)
        os.makedirs(a.out, exist_ok=True)
        save = lambda suffix, arr: np.save(os.path.join(a.out, f"{a.name}.{suffix}.npy"), arr)
        save("ids", np.array(ids, dtype="<i4"))
        save("positions", np.array(positions, dtype="<i4"))
        sel = logits[positions]
        save("logits", np.ascontiguousarray(sel[:, :: a.vocab_stride].numpy().astype("<f4")))
        save("absmax", sel.abs().max(dim=1).values.numpy().astype("<f4"))
        if a.top1:
            save("top1", logits.argmax(dim=1).numpy().astype("<i4"))
        if a.greedy:
            save("greedy", np.array(qwen2.greedy(cfg, w, ids, a.greedy), dtype="<i4"))
    print(f"{a.name}: {len(ids)} tokens, positions {positions}, {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
