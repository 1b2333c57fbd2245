#!/usr/bin/env python3
"""Writes a Hugging Face-format checkpoint with random weights and a real config.

    make_hf_checkpoint.py --preset qwen2.5-0.5b --out DIR [--dtype f32|f16|bf16] [--shards N] [--seed S]

DIR gets config.json, model.safetensors (or N shards + model.safetensors.index.json)
and, with --tokenizer, a copy of tokenizer.json. Tensors are written one at a
time, so memory stays at the largest tensor. Used to measure edge-convert on
checkpoints the size of real ones (real weights cannot be downloaded here).
Needs only numpy (Debian: python3-numpy).
"""
import argparse
import json
import os
import shutil
import struct

import numpy as np

PRESETS = {
    "qwen2.5-0.5b": dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2),
    "qwen2.5-1.5b": dict(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                         num_attention_heads=12, num_key_value_heads=2),
}


def tensors(c):
    h, ff = c["hidden_size"], c["intermediate_size"]
    d = h // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d
    yield "model.embed_tokens.weight", (c["vocab_size"], h)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (h,)
        yield p + "self_attn.q_proj.weight", (q, h)
        yield p + "self_attn.q_proj.bias", (q,)
        yield p + "self_attn.k_proj.weight", (kv, h)
        yield p + "self_attn.k_proj.bias", (kv,)
        yield p + "self_attn.v_proj.weight", (kv, h)
        yield p + "self_attn.v_proj.bias", (kv,)
        yield p + "self_attn.o_proj.weight", (h, q)
        yield p + "post_attention_layernorm.weight", (h,)
        yield p + "mlp.gate_proj.weight", (ff, h)
        yield p + "mlp.up_proj.weight", (ff, h)
        yield p + "mlp.down_proj.weight", (h, ff)
    yield "model.norm.weight", (h,)


def to_dtype(x, dtype):
    if dtype == "f32":
        return x.astype("<f4")
    if dtype == "f16":
        return x.astype("<f2")
    bits = x.astype("<f4").view("<u4")  # bf16: round to nearest even
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")


def write_file(path, items, dtype, rng):
    tag = {"f32": "F32", "f16": "F16", "bf16": "BF16"}[dtype]
    size = {"f32": 4, "f16": 2, "bf16": 2}[dtype]
    header, offset = {}, 0
    for name, shape in items:
        n = int(np.prod(shape)) * size
        header[name] = {"dtype": tag, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, shape in items:
            mean = 1.0 if name.endswith("norm.weight") else 0.0
            x = rng.normal(mean, 0.02, size=shape).astype(np.float32)
            f.write(to_dtype(x, dtype).tobytes())
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tokenizer")
    a = ap.parse_args()
    c = dict(PRESETS[a.preset], architectures=["Qwen2ForCausalLM"], model_type="qwen2", max_position_embeddings=32768,
             rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, bos_token_id=151643,
             eos_token_id=151645, torch_dtype={"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype])
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    if a.tokenizer:
        shutil.copy(a.tokenizer, os.path.join(a.out, "tokenizer.json"))
    rng = np.random.default_rng(a.seed)
    items = list(tensors(c))
    if a.shards == 1:
        write_file(os.path.join(a.out, "model.safetensors"), items, a.dtype, rng)
        return
    names = [f"model-{i + 1:05d}-of-{a.shards:05d}.safetensors" for i in range(a.shards)]
    groups = [items[i::a.shards] for i in range(a.shards)]
    weight_map = {}
    for name, group in zip(names, groups):
        write_file(os.path.join(a.out, name), group, a.dtype, rng)
        weight_map.update({t: name for t, _ in group})
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=2)


if __name__ == "__main__":
    main()
