"""Reads (and, for tests, writes) edge-rt model files (.etm) with numpy.

Part of the PyTorch reference (tools/reference): it turns a model file into a
config dict and float32 arrays, never into anything the C++ runtime uses. It
must not import torch; compute lives in qwen2.py.

The FlatBuffers Python module is generated from formats/model.fbs at run time
(flatc --python into a temporary folder), so nothing generated is committed.
The file is memory-mapped; a tensor is read and dequantized only when asked
for, and `rows()` reads a row range, so a 2 GB model never has to be resident.

Python's flatbuffers has no Verifier, so every offset and size that is used
here is checked against the file length before use, and accessor failures on a
damaged flatbuffer are reported as ValueError naming the file. Tensor
checksums (XXH3-64) are not verified: the C++ reader does that.

Needs numpy, python3-flatbuffers and flatc (Debian: flatbuffers-compiler).
"""
import atexit
import importlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Mapping

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "formats", "model.fbs")
IDENTIFIER = b"ETM1"
FORMAT_VERSION = 1       # what this writer writes (no header checksum: still readable by edge-rt)
READABLE_VERSIONS = (1, 2)  # 2 adds Model.header_checksum, which this reader does not need
TENSOR_ALIGNMENT = 64    # every tensor's start, relative to data_offset
DATA_ALIGNMENT = 4096    # start of the data area

# Numbers match edgert::DType (base/dtype.h) and formats/model.fbs.
DTYPES = {0: "f32", 1: "f16", 2: "bf16", 3: "q8_0", 4: "q4_0"}
DTYPE_IDS = {v: k for k, v in DTYPES.items()}
# dtype -> (bytes per block, elements per block). GGUF block layouts:
#   Q8_0: f16 d, int8 qs[32];  x[i] = d * qs[i]
#   Q4_0: f16 d, u8 qs[16];    x[i] = d * ((qs[i] & 15) - 8), x[i+16] = d * ((qs[i] >> 4) - 8)
BLOCKS = {"f32": (4, 1), "f16": (2, 1), "bf16": (2, 1), "q8_0": (34, 32), "q4_0": (18, 32)}
Q8_0 = np.dtype([("d", "<f2"), ("qs", "i1", 32)])
Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
assert Q8_0.itemsize == 34 and Q4_0.itemsize == 18

_fb = None


def schema():
    """The generated Python module package edgert.fb (flatc --python, once per process)."""
    global _fb
    if _fb is None:
        out = tempfile.mkdtemp(prefix="etm_py_")
        atexit.register(shutil.rmtree, out, True)
        subprocess.run(["flatc", "--python", "-o", out, SCHEMA], check=True)
        sys.path.insert(0, out)
        _fb = {n: importlib.import_module("edgert.fb." + n)
               for n in ("Model", "ModelConfig", "Tensor", "Tokenizer", "AddedToken")}
    return _fb


def tensor_bytes(dtype, shape):
    """Bytes of a tensor; quantized ones need the last dimension to be whole blocks."""
    block_bytes, block_elems = BLOCKS[dtype]
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if block_elems > 1 and (not shape or shape[-1] % block_elems):
        raise ValueError(f"{dtype} needs the last dimension to be a multiple of {block_elems}, got shape {list(shape)}")
    return n // block_elems * block_bytes


def dequantize(raw, dtype, shape):
    """float32 values of raw little-endian bytes (exact: every format widens losslessly)."""
    if dtype == "f32":
        return raw.view("<f4").reshape(shape)
    if dtype == "f16":
        return raw.view("<f2").astype(np.float32).reshape(shape)
    if dtype == "bf16":
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)
    if dtype == "q8_0":
        b = raw.view(Q8_0)
        # f16 scale (11 significant bits) times int8 fits f32 exactly.
        return (b["d"].astype(np.float32)[:, None] * b["qs"].astype(np.float32)).reshape(shape)
    if dtype == "q4_0":
        b = raw.view(Q4_0)
        lo = (b["qs"] & 0x0F).astype(np.float32) - 8
        hi = (b["qs"] >> 4).astype(np.float32) - 8
        return (b["d"].astype(np.float32)[:, None] * np.concatenate([lo, hi], axis=1)).reshape(shape)
    raise ValueError(f"unknown dtype {dtype}")


class TensorInfo:
    __slots__ = ("name", "dtype", "shape", "start", "size")

    def __init__(self, name, dtype, shape, start, size):
        self.name, self.dtype, self.shape, self.start, self.size = name, dtype, shape, start, size

    def __repr__(self):
        return f"TensorInfo({self.name!r}, {self.dtype}, {list(self.shape)}, start={self.start}, size={self.size})"


class EtmFile:
    """A mapped .etm file: `config` (dict), `info` ({name: TensorInfo}),
    `array(name)` / `rows(name, a, b)` / `take(name, ids)` as float32."""

    def __init__(self, path):
        self.path = path
        self.buf = np.memmap(path, dtype=np.uint8, mode="r")
        n = len(self.buf)
        if n < 12:
            raise ValueError(f"{path}: {n} bytes, too short for an edge-rt model file (need at least 12)")
        size = int(self.buf[:4].view("<u4")[0])
        if 4 + size > n:
            raise ValueError(f"{path}: size prefix says {size} bytes of metadata but the file has {n}")
        if bytes(self.buf[8:12]) != IDENTIFIER:
            raise ValueError(f"{path}: identifier {bytes(self.buf[8:12])!r} at offset 8, expected {IDENTIFIER!r}")
        meta = bytes(self.buf[4:4 + size])
        root = struct.unpack_from("<I", meta, 0)[0]
        if root + 4 > size:
            raise ValueError(f"{path}: root table offset {root} past the metadata ({size} bytes)")
        try:
            self._parse(schema()["Model"].Model.GetRootAs(meta, 0), size, n)
        except (struct.error, IndexError, UnicodeDecodeError) as e:
            raise ValueError(f"{path}: damaged metadata ({type(e).__name__}: {e})") from None

    def _parse(self, m, meta_size, n):
        path = self.path
        if m.FormatVersion() not in READABLE_VERSIONS:
            raise ValueError(f"{path}: format_version {m.FormatVersion()}, this reader knows {READABLE_VERSIONS}")
        c = m.Config()
        if c is None:
            raise ValueError(f"{path}: no config table")
        self.config = dict(
            architecture={0: "qwen2", 1: "llama"}.get(c.Architecture(), c.Architecture()),
            vocab_size=c.VocabSize(), hidden_size=c.HiddenSize(), intermediate_size=c.IntermediateSize(),
            num_hidden_layers=c.NumHiddenLayers(), num_attention_heads=c.NumAttentionHeads(),
            num_key_value_heads=c.NumKeyValueHeads(), head_dim=c.HeadDim(),
            max_position_embeddings=c.MaxPositionEmbeddings(), rms_norm_eps=c.RmsNormEps(),
            rope_theta=c.RopeTheta(), tie_word_embeddings=bool(c.TieWordEmbeddings()),
            attention_bias=bool(c.AttentionBias()), bos_token_id=c.BosTokenId(), eos_token_id=c.EosTokenId())
        self.source = (m.Source() or b"").decode()
        base = m.DataOffset()
        if base < 4 + meta_size or base > n:
            raise ValueError(f"{path}: data_offset {base} outside [{4 + meta_size}, {n}] (metadata end, file size)")
        self.info = {}
        for i in range(m.TensorsLength()):
            t = m.Tensors(i)
            name = (t.Name() or b"").decode()
            where = f"{path}: tensor {i} '{name}'"
            if not name or name in self.info:
                raise ValueError(f"{where}: {'empty' if not name else 'duplicate'} name")
            if t.Dtype() not in DTYPES:
                raise ValueError(f"{where}: unknown dtype {t.Dtype()} (known: {sorted(DTYPES)})")
            dtype = DTYPES[t.Dtype()]
            shape = tuple(t.Shape(k) for k in range(t.ShapeLength()))
            if not shape or any(d <= 0 for d in shape):
                raise ValueError(f"{where}: shape {list(shape)} must have dimensions > 0")
            try:
                want = tensor_bytes(dtype, shape)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
            if t.Size() != want:
                raise ValueError(f"{where}: size {t.Size()} bytes, expected {want} for {dtype} {list(shape)}")
            if t.Offset() % TENSOR_ALIGNMENT:
                raise ValueError(f"{where}: offset {t.Offset()} not a multiple of {TENSOR_ALIGNMENT}")
            if base + t.Offset() + t.Size() > n:
                raise ValueError(f"{where}: data [{base + t.Offset()}, {base + t.Offset() + t.Size()}) "
                                 f"past end of file (size {n})")
            self.info[name] = TensorInfo(name, dtype, shape, base + t.Offset(), t.Size())

    def dtypes(self):
        return {k: v.dtype for k, v in self.info.items()}

    def _get(self, name):
        if name not in self.info:
            raise KeyError(f"{self.path}: no tensor '{name}'")
        return self.info[name]

    def array(self, name):
        """The whole tensor as float32 (a read-only view of the map for f32 tensors)."""
        t = self._get(name)
        return dequantize(np.asarray(self.buf[t.start:t.start + t.size]), t.dtype, t.shape)

    def rows(self, name, a, b):
        """Rows [a, b) of a 2-D tensor as float32: reads only those bytes."""
        t = self._get(name)
        if len(t.shape) != 2 or not 0 <= a <= b <= t.shape[0]:
            raise IndexError(f"{self.path}: rows [{a}, {b}) of '{name}' {list(t.shape)}")
        row = t.size // t.shape[0]
        return dequantize(np.asarray(self.buf[t.start + a * row:t.start + b * row]), t.dtype, (b - a, t.shape[1]))

    def take(self, name, ids):
        """Rows at `ids` (an embedding lookup) as float32 [len(ids), cols]."""
        return np.stack([self.rows(name, int(i), int(i) + 1)[0] for i in ids]) if len(ids) else \
            np.zeros((0, self._get(name).shape[1]), np.float32)

    def as_mapping(self):
        return _LazyTensors(self)


class _LazyTensors(Mapping):
    """{name: float32 array}, dequantized on access."""

    def __init__(self, f):
        self.f = f

    def __getitem__(self, name):
        return self.f.array(name)

    def __iter__(self):
        return iter(self.f.info)

    def __len__(self):
        return len(self.f.info)


def load(path):
    """Returns (config dict, {name: float32 array, dequantized on access}, {name: dtype name})."""
    f = EtmFile(path)
    return f.config, f.as_mapping(), f.dtypes()


# ---------------------------------------------------------------------------
# Writing: only for the reference's own tests and for proving the pipeline
# before edge-convert exists. Checksums are written as 0 (no XXH3 in Python
# here), so the C++ reader may refuse these files.

def quantize_q8_0(x):
    """GGUF Q8_0 blocks of a float32 array whose size is a multiple of 32 (round half away from zero)."""
    x = np.asarray(x, np.float32).reshape(-1, 32)
    amax = np.abs(x).max(axis=1)
    d = amax / 127
    inv = np.where(d != 0, 1 / np.where(d != 0, d, 1), 0).astype(np.float32)
    out = np.zeros(len(x), Q8_0)
    out["d"] = d.astype(np.float16)
    v = x * inv[:, None]
    out["qs"] = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)
    return out.view(np.uint8)


def quantize_q4_0(x):
    """GGUF Q4_0 blocks: d = (value of largest magnitude) / -8, q = min(15, trunc(x/d + 8.5))."""
    x = np.asarray(x, np.float32).reshape(-1, 32)
    idx = np.abs(x).argmax(axis=1)
    mx = x[np.arange(len(x)), idx]
    d = mx / -8
    inv = np.where(d != 0, 1 / np.where(d != 0, d, 1), 0).astype(np.float32)
    q = np.minimum(15, np.trunc(x * inv[:, None] + 8.5)).astype(np.uint8)
    out = np.zeros(len(x), Q4_0)
    out["d"] = d.astype(np.float16)
    out["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return out.view(np.uint8)


def encode(x, dtype):
    x = np.ascontiguousarray(x, np.float32)
    if dtype == "f32":
        return x.astype("<f4").view(np.uint8).ravel()
    if dtype == "f16":
        return x.astype("<f2").view(np.uint8).ravel()
    if dtype == "bf16":  # round to nearest even
        u = x.view(np.uint32).astype(np.uint64)
        return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").view(np.uint8).ravel()
    if dtype == "q8_0":
        return quantize_q8_0(x)
    if dtype == "q4_0":
        return quantize_q4_0(x)
    raise ValueError(dtype)


def write(path, config, tensors, source="tools/reference/etm.py"):
    """Writes an .etm: `tensors` is a list of (name, dtype name, float array).
    No tokenizer (the reference does not need one)."""
    fb = schema()
    blobs, offset = [], 0
    for name, dtype, x in tensors:
        data = encode(x, dtype)
        assert len(data) == tensor_bytes(dtype, np.shape(x)), name
        blobs.append((name, dtype, tuple(np.shape(x)), offset, data))
        offset = (offset + len(data) + TENSOR_ALIGNMENT - 1) // TENSOR_ALIGNMENT * TENSOR_ALIGNMENT

    def build(data_offset):
        import flatbuffers
        b = flatbuffers.Builder(1024)
        b.ForceDefaults(True)  # same size whatever the values, so data_offset can be patched in
        C, T, M = fb["ModelConfig"], fb["Tensor"], fb["Model"]
        tensor_offsets = []
        for name, dtype, shape, off, data in blobs:
            n = b.CreateString(name)
            T.TensorStartShapeVector(b, len(shape))
            for d in reversed(shape):
                b.PrependInt64(d)
            s = b.EndVector()
            T.TensorStart(b)
            T.TensorAddName(b, n)
            T.TensorAddDtype(b, DTYPE_IDS[dtype])
            T.TensorAddShape(b, s)
            T.TensorAddOffset(b, off)
            T.TensorAddSize(b, len(data))
            T.TensorAddChecksum(b, 0)
            tensor_offsets.append(T.TensorEnd(b))
        M.ModelStartTensorsVector(b, len(tensor_offsets))
        for t in reversed(tensor_offsets):
            b.PrependUOffsetTRelative(t)
        tv = b.EndVector()
        src = b.CreateString(source)
        C.ModelConfigStart(b)
        C.ModelConfigAddArchitecture(b, {"qwen2": 0, "llama": 1}[config.get("architecture", "qwen2")])
        for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                    "num_key_value_heads", "head_dim", "max_position_embeddings"):
            getattr(C, "ModelConfigAdd" + "".join(w.capitalize() for w in key.split("_")))(b, int(config[key]))
        C.ModelConfigAddRmsNormEps(b, float(config["rms_norm_eps"]))
        C.ModelConfigAddRopeTheta(b, float(config["rope_theta"]))
        C.ModelConfigAddTieWordEmbeddings(b, bool(config["tie_word_embeddings"]))
        C.ModelConfigAddAttentionBias(b, bool(config["attention_bias"]))
        C.ModelConfigAddBosTokenId(b, int(config.get("bos_token_id", -1)))
        C.ModelConfigAddEosTokenId(b, int(config.get("eos_token_id", -1)))
        cfg = C.ModelConfigEnd(b)
        M.ModelStart(b)
        M.ModelAddFormatVersion(b, FORMAT_VERSION)
        M.ModelAddConfig(b, cfg)
        M.ModelAddTensors(b, tv)
        M.ModelAddDataOffset(b, data_offset)
        M.ModelAddSource(b, src)
        b.FinishSizePrefixed(M.ModelEnd(b), file_identifier=IDENTIFIER)
        return bytes(b.Output())

    meta = build(0)
    data_offset = (len(meta) + DATA_ALIGNMENT - 1) // DATA_ALIGNMENT * DATA_ALIGNMENT
    meta = build(data_offset)
    assert len(meta) <= data_offset
    with open(path, "wb") as f:
        f.write(meta)
        f.write(b"\0" * (data_offset - len(meta)))
        for _, _, _, off, data in blobs:
            f.seek(data_offset + off)
            f.write(data.tobytes())
