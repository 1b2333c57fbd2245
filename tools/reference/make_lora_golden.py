#!/usr/bin/env python3
"""LoRA training fixtures for the C++ golden tests (tests/train/lora_golden_test.cc),
from the PyTorch reference (qwen2.py, float64 autograd, torch.optim.AdamW).

    make_lora_golden.py MODEL.etm OUT_DIR NAME [--rank R] [--alpha A] [--b-std S] [--seed N]
                        [--lengths 12,7] [--steps 3 --step-lengths 9,5,11,6 --micro 2]
                        [--lr X] [--max-grad-norm X] [--dropout P [--dropout-seed N]]

The adapter is PEFT's (A kaiming-uniform) with B ~ N(0, b_std) instead of zero,
so every A has a gradient; it is rounded to float32 first, so the C++ test and
the reference start from the same numbers. Sequences are random ids
(numpy.random.default_rng(seed)); in each, the first third is prompt (label
-100) and one more position in the middle is -100. A batch is right-padded with
<|endoftext|> (151643, or 0 in a smaller vocabulary), label -100 and
attention_mask 0 at the padding, as a Hugging Face collator pads it. The loss is
transformers': mean over the counted (shifted) tokens of the whole batch.
With --dropout P the gradients are taken with LoRA dropout on every branch's
input, sequence b of the batch masked under DropoutSequenceKey(dropout_seed,
step 0, b) (qwen2.LoraDropout; --steps is refused with it).

Writes into OUT_DIR (NumPy 1.0, little-endian, C order):
  NAME.ids.npy / NAME.labels.npy   int32 [B, T]   the gradient batch, padded
  NAME.lengths.npy                 int32 [B]      real lengths
  NAME.adapter.npy                 f32 [P]        the starting adapter, flattened (below)
  NAME.grads.npy                   f32 [P]        d(mean loss)/d(adapter), same order
  NAME.loss.npy                    f32 [1]        the mean loss
With --steps S (S optimizer steps, each on its own group of len(step-lengths) sequences):
  NAME.step_ids.npy / NAME.step_labels.npy  int32 [S * n, T']   all step sequences, padded to the longest
  NAME.step_lengths.npy            int32 [S * n]
  NAME.steps.npy                   f32 [P]   the adapter after S steps, one micro-batch of n per step
  NAME.steps_accum.npy             f32 [P]   the same with gradient accumulation: micro-batches of
                                             --micro sequences, the loss of each divided by the
                                             counted tokens of the whole step (HF's rule)
  NAME.step_losses.npy             f32 [S]   mean loss of each step (before its update)
  NAME.step_norms.npy              f32 [S]   global gradient norm before clipping
  NAME.json                        how it was made, the options and versions
Flattened order: layer 0..L-1, target in qwen2.TARGETS order (q, k, v, o, gate,
up, down), A [r, in] row-major then B [out, r] row-major: the order of
edgert::LoraAdapter::layers[layer][target].{a, b}.

Optimizer: torch.optim.AdamW with Hugging Face Trainer's defaults (betas 0.9 /
0.999, eps 1e-8, weight decay 0, linear schedule to 0 over S steps without
warm-up, torch.nn.utils.clip_grad_norm_ at --max-grad-norm, HF's default 1.0).
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import etm  # noqa: E402
import qwen2  # noqa: E402
from make_golden import CACHE_LIMIT, save  # noqa: E402

F64 = torch.float64
PAD_ID = 151643  # <|endoftext|>


def sequences(rng, lengths, vocab):
    """[(ids, labels)] with the prompt third and one middle position labelled -100."""
    out = []
    for n in lengths:
        ids = rng.integers(0, min(150000, vocab), n).astype(np.int32)
        labels = ids.copy()
        prompt = n // 3
        labels[:prompt] = -100
        if prompt + 2 < n:
            labels[prompt + 1] = -100
        out.append((ids, labels))
    return out


def pad(batch, vocab, T=None):
    """ids, labels, attention_mask [B, T], right-padded."""
    T = T or max(len(i) for i, _ in batch)
    pad_id = PAD_ID if PAD_ID < vocab else 0
    ids = np.full((len(batch), T), pad_id, np.int32)
    labels = np.full((len(batch), T), -100, np.int32)
    mask = np.zeros((len(batch), T), np.int32)
    for b, (i, l) in enumerate(batch):
        ids[b, :len(i)], labels[b, :len(i)], mask[b, :len(i)] = i, l, 1
    return ids, labels, mask


def ordered(lora, layers):
    """[(a, b)] in the C++ adapter's order."""
    return [(lora[(i, t)].a, lora[(i, t)].b) for i in range(layers) for t in qwen2.TARGETS]


def flat(pairs):
    return np.concatenate([x.detach().numpy().ravel() for ab in pairs for x in ab]).astype("<f4")


def loss_sum(cfg, W, lora, batch, dropout=None):
    """(Σ token losses, counted tokens) of a padded batch."""
    ids, labels, mask = pad(batch, cfg["vocab_size"])
    logits = qwen2.forward_batch(cfg, W, ids, mask, F64, lora, dropout=dropout)
    total, count = 0, 0
    for b in range(len(batch)):
        s, c = qwen2.hf_loss_sum(logits[b], labels[b])
        total, count = total + s, count + c
    return total, count


def f32_adapter(cfg, a):
    """PEFT init with B ~ N(0, b_std), rounded to float32 and back (leaf tensors)."""
    lora = qwen2.make_lora(cfg, r=a.rank, alpha=a.alpha, seed=a.seed, b_std=a.b_std)
    for l in lora.values():
        l.a = l.a.detach().float().double().requires_grad_()
        l.b = l.b.detach().float().double().requires_grad_()
    return lora


def run_steps(cfg, W, a, step_batches, micro):
    """The adapter after len(step_batches) AdamW steps; each step's sequences go
    in micro-batches of `micro`. Returns (adapter pairs, losses, norms)."""
    lora = f32_adapter(cfg, a)
    params = [p for ab in ordered(lora, cfg["num_hidden_layers"]) for p in ab]
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    S = len(step_batches)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, (S - s) / S))  # HF linear, no warm-up
    losses, norms = [], []
    for batch in step_batches:
        opt.zero_grad()
        counted = sum(int((l[1:] != -100).sum()) for _, l in batch)
        step_loss = 0.0
        for m0 in range(0, len(batch), micro):
            s, _ = loss_sum(cfg, W, lora, batch[m0:m0 + micro])
            (s / counted).backward()
            step_loss += float(s) / counted
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, a.max_grad_norm)))
        losses.append(step_loss)
        opt.step()
        sched.step()
    return ordered(lora, cfg["num_hidden_layers"]), losses, norms


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("name")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--b-std", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--lengths", default="12,7")
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--step-lengths", default="9,5,11,6")
    ap.add_argument("--micro", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--max-grad-norm", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--dropout-seed", type=int, default=5)
    a = ap.parse_args(argv)
    if a.dropout and a.steps:
        ap.error("--dropout applies to the gradient fixture only, not to --steps")
    if a.threads:
        torch.set_num_threads(a.threads)
    t0 = time.time()
    f = etm.EtmFile(a.model)
    cfg = f.config
    V, L = cfg["vocab_size"], cfg["num_hidden_layers"]
    W = qwen2.Weights(f, F64, cache=os.path.getsize(a.model) < CACHE_LIMIT)
    qwen2.check_weights(cfg, W)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)

    batch = sequences(rng, [int(n) for n in a.lengths.split(",")], V)
    ids, labels, _ = pad(batch, V)
    lora = f32_adapter(cfg, a)
    pairs = ordered(lora, L)
    dropout = None
    if a.dropout:
        dropout = qwen2.LoraDropout(a.dropout, [qwen2.dropout_sequence_key(a.dropout_seed, 0, b)
                                                for b in range(len(batch))])
    s, count = loss_sum(cfg, W, lora, batch, dropout)
    loss = s / count
    grads = torch.autograd.grad(loss, [p for ab in pairs for p in ab])
    save(a.out, a.name, "ids", ids, "<i4")
    save(a.out, a.name, "labels", labels, "<i4")
    save(a.out, a.name, "lengths", [len(i) for i, _ in batch], "<i4")
    save(a.out, a.name, "adapter", flat(pairs), "<f4")
    save(a.out, a.name, "grads", flat(list(zip(grads[0::2], grads[1::2]))), "<f4")
    save(a.out, a.name, "loss", [float(loss)], "<f4")
    meta = dict(model=os.path.basename(a.model), config=cfg, loss=float(loss), counted_tokens=count,
                options={k: v for k, v in vars(a).items() if k not in ("model", "out")})
    if dropout:
        meta["dropout_sequence_keys"] = [str(k) for k in dropout.keys]

    if a.steps:
        n = [int(x) for x in a.step_lengths.split(",")]
        step_batches = [sequences(rng, n, V) for _ in range(a.steps)]
        all_seqs = [sq for b in step_batches for sq in b]
        sids, slabels, _ = pad(all_seqs, V)
        save(a.out, a.name, "step_ids", sids, "<i4")
        save(a.out, a.name, "step_labels", slabels, "<i4")
        save(a.out, a.name, "step_lengths", [len(i) for i, _ in all_seqs], "<i4")
        whole, losses, norms = run_steps(cfg, W, a, step_batches, len(n))
        accum, losses_acc, norms_acc = run_steps(cfg, W, a, step_batches, a.micro)
        save(a.out, a.name, "steps", flat(whole), "<f4")
        save(a.out, a.name, "steps_accum", flat(accum), "<f4")
        save(a.out, a.name, "step_losses", losses, "<f4")
        save(a.out, a.name, "step_norms", norms, "<f4")
        meta.update(step_losses=losses, step_norms=norms, step_losses_accum=losses_acc, step_norms_accum=norms_acc)

    meta.update(torch=torch.__version__, numpy=np.__version__, python=platform.python_version(),
                seconds=round(time.time() - t0, 1))
    with open(os.path.join(a.out, f"{a.name}.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print(f"{a.name}: loss {float(loss):.6f} over {count} tokens"
          + (f", step losses {losses}, norms {norms}" if a.steps else "") + f", {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
