#!/usr/bin/env python3
"""Golden fixtures for the C++ forward-pass tests, from the PyTorch reference.

    make_golden.py MODEL.etm OUT_DIR NAME [--prompt-len T | --prompt-ids 1,2,3] [--positions 0,15]
                   [--vocab-stride S] [--top1] [--top-k K] [--greedy N] [--compute f64|f32]

Writes into OUT_DIR (NumPy format 1.0, little-endian '<f4' / '<i4', C order):
  NAME.ids.npy            int32 [T]        the prompt
  NAME.positions.npy      int32 [P]        positions whose logits are stored
  NAME.logits.npy         f32 [P, ceil(V/S)] logits at those positions, vocabulary ids 0, S, 2S, ...
  NAME.absmax.npy         f32 [P]          max |logit| over the whole vocabulary at each stored position
  NAME.top1.npy           int32 [T]        argmax at every position (--top1)
  NAME.topk_ids.npy       int32 [T, K]     the K largest logits' ids at every position, largest first (--top-k)
  NAME.topk_logits.npy    f32 [T, K]       their values
  NAME.greedy.npy         int32 [N]        greedy continuation of the prompt (--greedy N)
  NAME.greedy_margin.npy  f32 [N]          top-1 minus top-2 logit at each greedy step
  NAME.json               how it was made: model, config, options, versions, seconds, peak RSS
Everything is computed in float64 (unless --compute f32) on the weights as
stored: quantized weights dequantized exactly, so for Q8_0/Q4_0 files these are
the dequantized-weight logits. The default prompt is
numpy.random.default_rng(1234).integers(0, min(150000, V), T).
See tests/data/golden/README.md for the commands behind the committed fixtures.
"""
import argparse
import json
import os
import platform
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import etm  # noqa: E402
import qwen2  # noqa: E402

CACHE_LIMIT = 512 << 20  # files smaller than this get their converted weights cached


def save(out, name, suffix, arr, dtype):
    arr = np.ascontiguousarray(np.asarray(arr, dtype=dtype))
    with open(os.path.join(out, f"{name}.{suffix}.npy"), "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("name")
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--prompt-seed", type=int, default=1234)
    ap.add_argument("--prompt-ids", help="comma-separated ids (overrides --prompt-len/--prompt-seed)")
    ap.add_argument("--positions", default="0,15")
    ap.add_argument("--vocab-stride", type=int, default=1)
    ap.add_argument("--top1", action="store_true")
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--greedy", type=int, default=0)
    ap.add_argument("--compute", choices=("f64", "f32"), default="f64")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    t0 = time.time()
    f = etm.EtmFile(a.model)
    cfg = f.config
    dtype = torch.float64 if a.compute == "f64" else torch.float32
    W = qwen2.Weights(f, dtype, cache=os.path.getsize(a.model) < CACHE_LIMIT)
    qwen2.check_weights(cfg, W)
    V = cfg["vocab_size"]
    if a.prompt_ids:
        ids = [int(i) for i in a.prompt_ids.split(",")]
    else:
        ids = [int(i) for i in np.random.default_rng(a.prompt_seed).integers(0, min(150000, V), a.prompt_len)]
    if not ids or any(not 0 <= i < V for i in ids):
        sys.exit(f"error: prompt ids must be in [0, {V})")
    positions = [int(p) for p in a.positions.split(",")]
    if any(not 0 <= p < len(ids) for p in positions):
        sys.exit(f"error: positions {positions} outside the {len(ids)}-token prompt")
    os.makedirs(a.out, exist_ok=True)
    with torch.no_grad():
        logits = qwen2.forward(cfg, W, ids, dtype)  # [T, V]
        t_forward = time.time() - t0
        save(a.out, a.name, "ids", ids, "<i4")
        save(a.out, a.name, "positions", positions, "<i4")
        sel = logits[positions]
        save(a.out, a.name, "logits", sel[:, :: a.vocab_stride].numpy(), "<f4")
        save(a.out, a.name, "absmax", sel.abs().max(dim=1).values.numpy(), "<f4")
        if a.top1:
            save(a.out, a.name, "top1", logits.argmax(dim=1).numpy(), "<i4")
        if a.top_k:
            top = torch.topk(logits, a.top_k, dim=1)
            save(a.out, a.name, "topk_ids", top.indices.numpy(), "<i4")
            save(a.out, a.name, "topk_logits", top.values.numpy(), "<f4")
        margins = []
        if a.greedy:
            toks, margins = qwen2.greedy(cfg, W, ids, a.greedy, dtype)
            save(a.out, a.name, "greedy", toks, "<i4")
            save(a.out, a.name, "greedy_margin", margins, "<f4")
    seconds = time.time() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    meta = dict(model=os.path.basename(a.model), model_bytes=os.path.getsize(a.model), source=f.source,
                dtypes=sorted(set(f.dtypes().values())), config=cfg,
                options={k: v for k, v in vars(a).items() if k not in ("model", "out")},
                torch=torch.__version__, numpy=np.__version__, python=platform.python_version(),
                seconds_forward=round(t_forward, 1), seconds_total=round(seconds, 1), peak_rss_mb=round(peak_mb),
                min_greedy_margin=min(margins) if margins else None)
    with open(os.path.join(a.out, f"{a.name}.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print(f"{a.name}: {len(ids)} tokens, positions {positions}, {seconds:.1f} s "
          f"(forward {t_forward:.1f} s), peak RSS {peak_mb:.0f} MB"
          + (f", min greedy margin {min(margins):.3g}" if margins else ""))


if __name__ == "__main__":
    main()
