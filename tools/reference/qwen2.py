"""A from-scratch PyTorch reference of Hugging Face Qwen2ForCausalLM (and Llama:
the same graph without q/k/v bias) with PEFT LoRA, written from the "Model
family contract" in the design notes. It is the project's definition of
"correct" for the golden fixtures; the C++ runtime never runs it.

Part of tools/reference; reads weights through etm.py (or a dict of arrays) and
must not depend on `transformers`/`peft` (not installable here).

Precision: `dtype` selects the compute type of everything (float64 for golden
fixtures, float32 to mirror a Hugging Face float32 model). Two deliberate
differences from transformers in float64 mode: RMSNorm and softmax stay in
float64 (transformers would drop them to float32; that "upcast" only matters
for half-precision models). The RoPE cos/sin tables are always built in
float32 exactly as transformers builds them, then widened, so the reference
rotates by the same angles as a real model and as runtime/model/rope_table.cc.

Memory: weights are converted to the compute type when a layer needs them and
dropped afterwards (unless the Weights cache is on), the embedding is read by
rows and the LM head in vocabulary chunks, so a 2 GB file runs in a few hundred
MB besides the page cache.
"""
import math

import numpy as np
import torch

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_MODULE = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
           "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}


# --- weights -----------------------------------------------------------------

class Weights:
    """Tensors by Hugging Face name in the compute dtype, from an etm.EtmFile or a
    dict {name: numpy array or torch tensor}. Converted on each access unless
    `cache` (then converted once and kept: for small models)."""

    def __init__(self, source, dtype=torch.float64, cache=False):
        self.src, self.dtype, self.cache = source, dtype, {} if cache else None
        self.is_file = hasattr(source, "rows")

    def names(self):
        return self.src.info.keys() if self.is_file else self.src.keys()

    def shape(self, name):
        return tuple(self.src.info[name].shape) if self.is_file else tuple(self.src[name].shape)

    def __contains__(self, name):
        return name in self.names()

    def _convert(self, x):
        if isinstance(x, torch.Tensor):
            return x.to(self.dtype)
        return torch.from_numpy(np.array(x, dtype=np.float64 if self.dtype == torch.float64 else np.float32))

    def __call__(self, name):
        if self.cache is not None and name in self.cache:
            return self.cache[name]
        t = self._convert(self.src.array(name) if self.is_file else self.src[name])
        if self.cache is not None:
            self.cache[name] = t
        return t

    def take(self, name, ids):
        """Rows at `ids` (embedding lookup) without converting the whole matrix."""
        if self.cache is not None or not self.is_file:
            return self(name)[torch.as_tensor(ids, dtype=torch.long)]
        return self._convert(self.src.take(name, ids))

    def row_chunks(self, name, chunk):
        """(start, rows [start, start+chunk)) over a 2-D matrix."""
        n = self.shape(name)[0]
        if self.cache is not None or not self.is_file:
            w = self(name)
            for a in range(0, n, chunk):
                yield a, w[a:a + chunk]
        else:
            for a in range(0, n, chunk):
                yield a, self._convert(self.src.rows(name, a, min(n, a + chunk)))


def as_weights(w, dtype, cache=None):
    if isinstance(w, Weights):
        return w if w.dtype == dtype else Weights(w.src, dtype, w.cache is not None)
    return Weights(w, dtype, cache=not hasattr(w, "rows") if cache is None else cache)


def expected_shapes(cfg):
    """{HF name: shape} that a checkpoint with this config must hold."""
    h, ff, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    q, kv = cfg["num_attention_heads"] * cfg["head_dim"], cfg["num_key_value_heads"] * cfg["head_dim"]
    s = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,)}
    if not cfg["tie_word_embeddings"]:
        s["lm_head.weight"] = (v, h)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        s.update({p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
                  p + "self_attn.q_proj.weight": (q, h), p + "self_attn.k_proj.weight": (kv, h),
                  p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, q),
                  p + "mlp.gate_proj.weight": (ff, h), p + "mlp.up_proj.weight": (ff, h),
                  p + "mlp.down_proj.weight": (h, ff)})
        if cfg["attention_bias"]:
            s.update({p + "self_attn.q_proj.bias": (q,), p + "self_attn.k_proj.bias": (kv,),
                      p + "self_attn.v_proj.bias": (kv,)})
    return s


def check_weights(cfg, w):
    """Raises ValueError naming the first missing or mis-shaped tensor."""
    if cfg["num_attention_heads"] % cfg["num_key_value_heads"]:
        raise ValueError(f"{cfg['num_attention_heads']} query heads do not share "
                         f"{cfg['num_key_value_heads']} KV heads evenly")
    for name, shape in expected_shapes(cfg).items():
        if name not in w:
            raise ValueError(f"missing tensor '{name}' (shape {list(shape)})")
        if w.shape(name) != shape:
            raise ValueError(f"tensor '{name}': shape {list(w.shape(name))}, expected {list(shape)}")


# --- the operations ----------------------------------------------------------

def rms_norm(x, w, eps):
    # variance = hidden_states.pow(2).mean(-1, keepdim=True)
    # hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
    # return self.weight * hidden_states
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_tables(positions, head_dim, theta, dtype):
    """cos, sin [len(positions), head_dim], built in float32 as transformers does, then cast."""
    # inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    # freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2): a K=1 product, exact
    freqs = torch.as_tensor(positions, dtype=torch.float32)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)  # emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    # q_embed = (q * cos) + (rotate_half(q) * sin)
    return x * cos + rotate_half(x) * sin


def attention(q, k, v, mask=None):
    """Causal GQA attention. q [..., nh, T, d], k/v [..., nkv, T, d] -> [..., nh, T, d].
    Query head h reads KV head h // (nh / nkv), as transformers' repeat_kv.
    `mask`: an additive mask broadcast to [..., T, T] used instead of the causal one
    (padding_mask below)."""
    nh, T, d = q.shape[-3:]
    groups = nh // k.shape[-3]
    k = k.repeat_interleave(groups, dim=-3)
    v = v.repeat_interleave(groups, dim=-3)
    if mask is None:
        mask = torch.full((T, T), float("-inf"), dtype=q.dtype).triu(1)
    return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + mask, dim=-1) @ v


def padding_mask(attention_mask, dtype):
    """Additive [B, 1, T, T] mask from a [B, T] 0/1 attention mask, as transformers
    builds it for training: causal, and key positions whose mask is 0 are hidden
    from every query. With right padding no row is fully hidden (position 0 is
    real), so -inf is safe where transformers uses finfo.min."""
    am = torch.as_tensor(attention_mask)
    T = am.shape[-1]
    causal = torch.full((T, T), float("-inf"), dtype=dtype).triu(1)
    pad = torch.zeros(am.shape, dtype=dtype).masked_fill(am == 0, float("-inf"))
    return causal[None, None] + pad[:, None, None, :]


# --- LoRA (PEFT semantics) ---------------------------------------------------

class Lora:
    """One adapted projection: y += scale * B(A(x)). a [r, in], b [out, r];
    scale = alpha / r, or alpha / sqrt(r) with rsLoRA. Dropout, when training
    with it, is applied to x by the caller (LoraDropout)."""

    def __init__(self, a, b, alpha, rslora=False):
        self.a, self.b = a, b
        r = a.shape[0]
        self.scale = alpha / math.sqrt(r) if rslora else alpha / r

    def __call__(self, x):
        return self.scale * ((x @ self.a.T) @ self.b.T)


_MASK64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15


def splitmix64_hash(z):
    """SplitMix64's output function (edgert::SplitMix64Hash), on a Python int."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _splitmix64_hash_array(z):
    """The same on a numpy uint64 array (arithmetic wraps modulo 2^64)."""
    z = z.astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _mix(a, b):
    return splitmix64_hash((a * _GAMMA + b) & _MASK64)


def dropout_sequence_key(seed, step, sequence):
    """edgert::DropoutSequenceKey: the mask key of one training sequence."""
    return _mix(_mix(seed, step), sequence)


class LoraDropout:
    """LoRA dropout as edge-rt draws it (runtime/train/dropout.h): element
    i = t * in + j of target `target`'s input in layer `layer` of sequence b is
    kept when 16-bit field i % 4 (from the top) of SplitMix64Hash(key + i // 4)
    is at least floor(p * 2^16), key = mix(mix(sequence_keys[b], layer), target
    index); kept elements are scaled by 1 / (1 - p). A deterministic stand-in for
    torch's Bernoulli draw with the same distribution, so both sides use one mask."""

    def __init__(self, p, sequence_keys):
        self.p, self.keys = p, list(sequence_keys)
        self.threshold = math.floor(p * 65536)

    def mask(self, key, rows, cols, dtype):
        n = rows * cols
        with np.errstate(over="ignore"):
            groups = np.arange((n + 3) // 4, dtype=np.uint64) + np.uint64(key)
            h = _splitmix64_hash_array(groups)
            shifts = np.array([48, 32, 16, 0], dtype=np.uint64)
            fields = (h[:, None] >> shifts[None, :]) & np.uint64(0xFFFF)
            keep = fields.reshape(-1)[:n] >= np.uint64(self.threshold)
        return torch.from_numpy(keep.reshape(rows, cols)).to(dtype) / (1 - self.p)

    def __call__(self, x, layer, target):
        """x [T, in] (one sequence) or [B, T, in] (sequence b = keys[b])."""
        t = TARGETS.index(target)
        rows, cols = x.shape[-2], x.shape[-1]
        if x.dim() == 2:
            return x * self.mask(_mix(_mix(self.keys[0], layer), t), rows, cols, x.dtype)
        masks = [self.mask(_mix(_mix(k, layer), t), rows, cols, x.dtype) for k in self.keys[:x.shape[0]]]
        return x * torch.stack(masks)


def make_lora(cfg, targets=TARGETS, r=8, alpha=16, rslora=False, seed=0, dtype=torch.float64, b_std=0.0):
    """{(layer, target): Lora} with PEFT's init: A ~ kaiming_uniform(a=sqrt(5)), i.e.
    U(-1/sqrt(in), 1/sqrt(in)); B = 0. `b_std` > 0 draws B ~ N(0, b_std) instead
    (a trained-looking adapter, for tests). A and B require grad."""
    g = torch.Generator().manual_seed(seed)
    h, ff = cfg["hidden_size"], cfg["intermediate_size"]
    q, kv = cfg["num_attention_heads"] * cfg["head_dim"], cfg["num_key_value_heads"] * cfg["head_dim"]
    dims = {"q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h),
            "gate_proj": (h, ff), "up_proj": (h, ff), "down_proj": (ff, h)}
    out = {}
    for i in range(cfg["num_hidden_layers"]):
        for t in targets:
            fan_in, fan_out = dims[t]
            bound = 1 / math.sqrt(fan_in)
            a = (torch.rand(r, fan_in, generator=g, dtype=torch.float64) * 2 - 1) * bound
            b = torch.randn(fan_out, r, generator=g, dtype=torch.float64) * b_std
            out[(i, t)] = Lora(a.to(dtype).requires_grad_(), b.to(dtype).requires_grad_(), alpha, rslora)
    return out


def lora_parameters(lora):
    return [p for key in sorted(lora) for p in (lora[key].a, lora[key].b)]


def peft_name(layer, target, which):
    """PEFT's saved name, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight."""
    return f"base_model.model.model.layers.{layer}.{_MODULE[target]}.{target}.lora_{which}.weight"


def merge(cfg, w, lora):
    """{name: tensor} with W + scale * B @ A folded in (what an export does)."""
    W = as_weights(w, torch.float64, cache=True)
    out = {n: W(n).clone() for n in W.names()}
    for (i, t), l in lora.items():
        name = f"model.layers.{i}.{_MODULE[t]}.{t}.weight"
        out[name] = out[name] + l.scale * (l.b.detach().to(torch.float64) @ l.a.detach().to(torch.float64))
    return out


# --- the model ---------------------------------------------------------------

def decoder_layer(cfg, W, i, x, cos, sin, lora, mask=None, dropout=None):
    """Layer i on x [..., T, hidden] (`W`: Weights; `mask` as in attention;
    `dropout`: a LoraDropout applied to every LoRA branch's input)."""
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    lead, T = x.shape[:-2], x.shape[-2]

    def proj(target, h):
        p = f"model.layers.{i}.{_MODULE[target]}.{target}."
        y = h @ W(p + "weight").T
        if cfg["attention_bias"] and target in ("q_proj", "k_proj", "v_proj"):
            y = y + W(p + "bias")
        if (i, target) in lora:
            y = y + lora[(i, target)](dropout(h, i, target) if dropout else h)
        return y

    def heads(y, n):  # [..., T, n*d] -> [..., n, T, d]
        return y.view(*lead, T, n, d).transpose(-3, -2)

    p = f"model.layers.{i}."
    h = rms_norm(x, W(p + "input_layernorm.weight"), eps)
    q, k, v = heads(proj("q_proj", h), nh), heads(proj("k_proj", h), nkv), heads(proj("v_proj", h), nkv)
    att = attention(apply_rope(q, cos, sin), apply_rope(k, cos, sin), v, mask)
    x = x + proj("o_proj", att.transpose(-3, -2).reshape(*lead, T, nh * d))
    h = rms_norm(x, W(p + "post_attention_layernorm.weight"), eps)
    return x + proj("down_proj", torch.nn.functional.silu(proj("gate_proj", h)) * proj("up_proj", h))


def lm_head(cfg, W, x, head_chunk=16384):
    """Final norm and LM head: logits [..., vocab] for hidden states x [..., hidden]."""
    x = rms_norm(x, W("model.norm.weight"), cfg["rms_norm_eps"])
    head = "model.embed_tokens.weight" if cfg["tie_word_embeddings"] else "lm_head.weight"
    return torch.cat([x @ chunk.T for _, chunk in W.row_chunks(head, head_chunk)], dim=-1)


def forward(cfg, w, ids, dtype=torch.float64, lora=None, rows=None, head_chunk=16384):
    """Logits [len(rows), vocab] (rows: positions to project, default all) for
    token ids at positions 0..T-1, no KV cache. `w`: Weights, etm.EtmFile or
    {HF name: array}. `lora`: {(layer, "q_proj"): Lora} or None."""
    lora = lora or {}
    W = as_weights(w, dtype)
    cos, sin = rope_tables(range(len(ids)), cfg["head_dim"], cfg["rope_theta"], dtype)
    x = W.take("model.embed_tokens.weight", ids)  # [T, hidden]
    for i in range(cfg["num_hidden_layers"]):
        x = decoder_layer(cfg, W, i, x, cos, sin, lora)
    if rows is not None:
        x = x[torch.as_tensor(rows, dtype=torch.long)]
    return lm_head(cfg, W, x, head_chunk)


def forward_batch(cfg, w, ids, attention_mask, dtype=torch.float64, lora=None, head_chunk=16384, dropout=None):
    """Logits [B, T, vocab] for a padded batch ids [B, T] with its 0/1
    attention_mask [B, T] (right padding: positions are 0..T-1 in every row, as
    transformers numbers them when training without position_ids)."""
    lora = lora or {}
    W = as_weights(w, dtype)
    ids = torch.as_tensor(ids, dtype=torch.long)
    B, T = ids.shape
    cos, sin = rope_tables(range(T), cfg["head_dim"], cfg["rope_theta"], dtype)
    x = W.take("model.embed_tokens.weight", ids.reshape(-1).tolist()).view(B, T, -1)
    mask = padding_mask(attention_mask, dtype)
    for i in range(cfg["num_hidden_layers"]):
        x = decoder_layer(cfg, W, i, x, cos, sin, lora, mask, dropout)
    return lm_head(cfg, W, x, head_chunk)


def greedy(cfg, w, ids, n, dtype=torch.float64):
    """n greedy tokens after `ids` (full recompute per token: slow, unambiguous).
    Returns (tokens, margins): margins[j] = top-1 minus top-2 logit at step j,
    how far the choice was from a tie."""
    W = as_weights(w, dtype)
    out, margins = list(ids), []
    with torch.no_grad():
        for _ in range(n):
            logits = forward(cfg, W, out, dtype, rows=[len(out) - 1])[0]
            top = torch.topk(logits, 2)
            margins.append(float(top.values[0] - top.values[1]))
            out.append(int(top.indices[0]))
    return out[len(ids):], margins


def hf_loss_sum(logits, labels):
    """(sum of token losses, counted tokens) with transformers' causal-LM rule:
    logits[t] predicts labels[t+1]; labels of -100 are ignored. For gradient
    accumulation, add sums and counts over micro-batches, then divide once."""
    labels = torch.as_tensor(labels, dtype=torch.long)
    shift_logits, shift_labels = logits[:-1], labels[1:]
    total = torch.nn.functional.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="sum")
    return total, int((shift_labels != -100).sum())


def hf_loss(logits, labels):
    """transformers' causal-LM loss: mean over counted tokens (nan when none are counted)."""
    total, count = hf_loss_sum(logits, labels)
    return total / count if count else total * float("nan")
