"""Reads an edge-rt model file (.etm) into numpy, for the PyTorch reference.

The FlatBuffers Python module is generated from formats/model.fbs at run time
(flatc --python into a temporary folder), so nothing generated is committed.
Quantized tensors are dequantized exactly as the GGUF block formulas say.
Needs numpy and the flatbuffers Python package (Debian: python3-numpy,
python3-flatbuffers) and flatc (flatbuffers-compiler).
"""
import importlib
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_module = None


def _schema():
    global _module
    if _module is None:
        out = tempfile.mkdtemp(prefix="etm_py_")
        subprocess.run(["flatc", "--python", "-o", out, os.path.join(ROOT, "formats", "model.fbs")], check=True)
        sys.path.insert(0, out)
        _module = importlib.import_module("edgert.fb.Model")
    return _module


Q8_0 = np.dtype([("d", "<f2"), ("qs", "i1", 32)])
Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
DTYPES = {0: "f32", 1: "f16", 2: "bf16", 3: "q8_0", 4: "q4_0"}


def dequantize(raw, dtype, shape):
    if dtype == "f32":
        return raw.view("<f4").reshape(shape)
    if dtype == "f16":
        return raw.view("<f2").astype(np.float32).reshape(shape)
    if dtype == "bf16":
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)
    if dtype == "q8_0":
        b = raw.view(Q8_0)
        return (b["d"].astype(np.float32)[:, None] * b["qs"].astype(np.float32)).reshape(shape)
    if dtype == "q4_0":
        b = raw.view(Q4_0)
        lo = (b["qs"] & 0x0F).astype(np.float32) - 8
        hi = (b["qs"] >> 4).astype(np.float32) - 8
        return (b["d"].astype(np.float32)[:, None] * np.concatenate([lo, hi], axis=1)).reshape(shape)
    raise ValueError(dtype)


def load(path):
    """Returns (config dict, {name: float32 array}, {name: dtype name})."""
    Model = _schema()
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(buf[8:12]) != b"ETM1":
        raise ValueError(f"{path}: not an edge-rt model file")
    m = Model.Model.GetRootAs(bytes(buf[: 4 + int(buf[:4].view("<u4")[0])]), 4)
    c = m.Config()
    config = dict(
        vocab_size=c.VocabSize(), hidden_size=c.HiddenSize(), intermediate_size=c.IntermediateSize(),
        num_hidden_layers=c.NumHiddenLayers(), num_attention_heads=c.NumAttentionHeads(),
        num_key_value_heads=c.NumKeyValueHeads(), head_dim=c.HeadDim(), rms_norm_eps=c.RmsNormEps(),
        rope_theta=c.RopeTheta(), tie_word_embeddings=bool(c.TieWordEmbeddings()), attention_bias=bool(c.AttentionBias()))
    base = m.DataOffset()
    tensors, dtypes = {}, {}
    for i in range(m.TensorsLength()):
        t = m.Tensors(i)
        name = t.Name().decode()
        shape = tuple(t.Shape(k) for k in range(t.ShapeLength()))
        dtype = DTYPES[t.Dtype()]
        raw = np.asarray(buf[base + t.Offset(): base + t.Offset() + t.Size()])
        tensors[name] = dequantize(raw, dtype, shape)
        dtypes[name] = dtype
    return config, tensors, dtypes
