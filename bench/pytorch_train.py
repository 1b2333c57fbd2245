#!/usr/bin/env python3
"""PyTorch's LoRA training speed on the same job as bench/train_bench.cc.

    pytorch_train.py --model M.etm [--seq 512] [--rank 8] [--alpha 16] [--threads 2]
                     [--steps 3] [--warmup 1] [--checkpointing]

The model as Hugging Face transformers runs Qwen2 in float32 on a CPU (eager
attention: repeat_kv, matmul, causal mask, softmax in float32; RMSNorm in
float32; full [seq, vocab] logits, then CrossEntropyLoss on the shifted
labels), with LoRA as PEFT adds it to each of the seven projections
(base(x) + lora_B(lora_A(dropout(x))) * alpha/r, dropout 0), frozen base
weights, torch.optim.AdamW on the LoRA parameters and clip_grad_norm_(1.0).
--checkpointing wraps each decoder layer in torch.utils.checkpoint as
transformers' gradient_checkpointing_enable() does (reentrant, with the
embedding output requiring grad as PEFT's enable_input_require_grads makes it).
Weights are read from the same .etm file edge-rt runs (an f32 file; quantized
ones are dequantized), through tools/reference/etm.py.

Prints one JSON object: training tokens/s over the measured steps. Written for
Debian's python3-torch 1.13 (no scaled_dot_product_attention).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
import etm  # noqa: E402


class LoraLinear(nn.Module):
    """peft.tuners.lora.Linear: result = base(x) + lora_B(lora_A(dropout(x))) * scaling."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.normal_(self.lora_B.weight, std=0.01)  # a trained-looking adapter, as train_bench
        self.scaling = alpha / r

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


class RMSNorm(nn.Module):
    def __init__(self, w, eps):
        super().__init__()
        self.weight = nn.Parameter(w, requires_grad=False)
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    return torch.cat((-x[..., x.shape[-1] // 2:], x[..., : x.shape[-1] // 2]), dim=-1)


class Layer(nn.Module):
    def __init__(self, cfg, get, i, r, alpha):
        super().__init__()
        p = f"model.layers.{i}."

        def lin(name, bias):
            w = get(p + name + ".weight")
            m = nn.Linear(w.shape[1], w.shape[0], bias=bias)
            m.weight = nn.Parameter(w, requires_grad=False)
            if bias:
                m.bias = nn.Parameter(get(p + name + ".bias"), requires_grad=False)
            return LoraLinear(m, r, alpha)

        self.nh, self.nkv, self.d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.q, self.k, self.v = (lin(f"self_attn.{n}_proj", cfg["attention_bias"]) for n in "qkv")
        self.o = lin("self_attn.o_proj", False)
        self.gate, self.up, self.down = (lin(f"mlp.{n}_proj", False) for n in ("gate", "up", "down"))
        self.norm1 = RMSNorm(get(p + "input_layernorm.weight"), cfg["rms_norm_eps"])
        self.norm2 = RMSNorm(get(p + "post_attention_layernorm.weight"), cfg["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        h = self.norm1(x)
        q = self.q(h).view(B, T, self.nh, self.d).transpose(1, 2)
        k = self.k(h).view(B, T, self.nkv, self.d).transpose(1, 2)
        v = self.v(h).view(B, T, self.nkv, self.d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        g = self.nh // self.nkv
        k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)  # repeat_kv
        a = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.d) + mask
        a = F.softmax(a, dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.matmul(a, v).transpose(1, 2).reshape(B, T, self.nh * self.d)
        x = x + self.o(o)
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, cfg, get, r, alpha):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Parameter(get("model.embed_tokens.weight"), requires_grad=False)
        self.head = self.embed if cfg["tie_word_embeddings"] else nn.Parameter(get("lm_head.weight"), requires_grad=False)
        self.layers = nn.ModuleList(Layer(cfg, get, i, r, alpha) for i in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(get("model.norm.weight"), cfg["rms_norm_eps"])
        self.checkpointing = False

    def forward(self, ids, labels):
        T = ids.shape[1]
        d = self.cfg["head_dim"]
        inv = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        freqs = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)
        x = F.embedding(ids, self.embed)
        if self.checkpointing:
            x.requires_grad_(True)  # PEFT's enable_input_require_grads
        for layer in self.layers:
            x = checkpoint(layer, x, cos, sin, mask) if self.checkpointing else layer(x, cos, sin, mask)
        logits = F.linear(self.norm(x), self.head).float()
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--checkpointing", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    f = etm.EtmFile(a.model)
    cfg = f.config

    def get(name):
        return torch.from_numpy(np.array(f.array(name), dtype=np.float32))

    model = Model(cfg, get, a.rank, a.alpha)
    model.checkpointing = a.checkpointing
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    rng = np.random.default_rng(1)
    seconds, loss = 0.0, float("nan")
    for step in range(a.warmup + a.steps):
        ids = torch.from_numpy(rng.integers(0, min(150000, cfg["vocab_size"]), (1, a.seq)))
        t0 = time.time()
        opt.zero_grad(set_to_none=True)
        l = model(ids, ids)
        l.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        s = time.time() - t0
        loss = float(l)
        print(f"step {step}: {s:.2f} s, loss {loss:.4f}", file=sys.stderr)
        if step >= a.warmup:
            seconds += s
    print(json.dumps(dict(tokens_per_s=round(a.seq * a.steps / seconds, 2), seconds_per_step=round(seconds / a.steps, 3),
                          seq=a.seq, threads=a.threads, rank=a.rank, checkpointing=a.checkpointing,
                          lora_parameters=sum(p.numel() for p in params), last_loss=round(loss, 4),
                          torch=torch.__version__)))


if __name__ == "__main__":
    main()
