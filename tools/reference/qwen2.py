"""A from-scratch PyTorch reference of Hugging Face Qwen2ForCausalLM (and
Llama: the same graph without q/k/v bias) and PEFT LoRA, written from the
contract in docs/design.md. It is the project's definition of "correct".

Each step quotes the transformers line it matches. Compute in float64 by
default; the RoPE table is built in float32 exactly as transformers does and
then widened, so the reference rotates by the same angles as a real model.
"""
import math

import numpy as np
import torch


def rms_norm(x, w, eps):
    # variance = hidden_states.pow(2).mean(-1, keepdim=True)
    # hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon); return self.weight * hidden_states
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_tables(positions, head_dim, theta, dtype):
    # inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = torch.arange(positions, dtype=torch.float32)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)  # emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Lora:
    """PEFT LoRA on one projection: y += scale * B(A(x)); scale alpha/r (or alpha/sqrt(r))."""

    def __init__(self, a, b, alpha, rslora=False):
        self.a, self.b = a, b
        r = a.shape[0]
        self.scale = alpha / math.sqrt(r) if rslora else alpha / r

    def __call__(self, x):
        return self.scale * ((x @ self.a.T) @ self.b.T)


def as_tensors(w, dtype):
    return {k: v if isinstance(v, torch.Tensor) and v.dtype == dtype else torch.from_numpy(np.array(v)).to(dtype)
            for k, v in w.items()}


def forward(cfg, w, ids, dtype=torch.float64, lora=None):
    """Logits [T, vocab] for token ids, no cache. `w`: {HF name: tensor}.
    `lora`: {(layer, "q_proj"): Lora, ...} or None."""
    lora = lora or {}
    W = as_tensors(w, dtype)
    T = len(ids)
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    cos, sin = rope_tables(T, d, cfg["rope_theta"], dtype)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    mask = torch.full((T, T), float("-inf"), dtype=dtype).triu(1)

    def proj(i, name, h, bias=None):
        kind = name.split(".")[-1]
        y = h @ W[f"model.layers.{i}.{name}.weight"].T
        if bias is not None:
            y = y + W[bias]
        if (i, kind) in lora:
            y = y + lora[(i, kind)](h)
        return y

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        has_bias = cfg["attention_bias"]
        q = proj(i, "self_attn.q_proj", h, p + "self_attn.q_proj.bias" if has_bias else None).view(T, nh, d).transpose(0, 1)
        k = proj(i, "self_attn.k_proj", h, p + "self_attn.k_proj.bias" if has_bias else None).view(T, nkv, d).transpose(0, 1)
        v = proj(i, "self_attn.v_proj", h, p + "self_attn.v_proj.bias" if has_bias else None).view(T, nkv, d).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin  # q_embed = (q * cos) + (rotate_half(q) * sin)
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=0)  # repeat_kv
        v = v.repeat_interleave(nh // nkv, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d) + mask, dim=-1) @ v
        x = x + proj(i, "self_attn.o_proj", att.transpose(0, 1).reshape(T, nh * d))
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = proj(i, "mlp.gate_proj", h)
        u = proj(i, "mlp.up_proj", h)
        x = x + proj(i, "mlp.down_proj", torch.nn.functional.silu(g) * u)
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return x @ head.T


def greedy(cfg, w, ids, n, dtype=torch.float64):
    w = as_tensors(w, dtype)
    out = list(ids)
    for _ in range(n):
        out.append(int(forward(cfg, w, out, dtype)[-1].argmax()))
    return out[len(ids):]


def hf_loss(logits, labels):
    """transformers' causal LM loss: shift by one, ignore -100, mean over counted tokens."""
    shift_logits, shift_labels = logits[:-1], torch.tensor(labels[1:])
    return torch.nn.functional.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="mean")
