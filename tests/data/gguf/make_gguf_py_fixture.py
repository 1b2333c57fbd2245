# tests/data/gguf/make_gguf_py_fixture.py: writes gguf_py_types.gguf with
# llama.cpp's own Python GGUF writer (gguf-py), so our reader is tested on a
# file from a foreign writer. Not run by the build; see README.md.
# Usage: PYTHONPATH=$LLAMA/gguf-py /usr/bin/python3 make_gguf_py_fixture.py OUT.gguf
import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import quantize

w = GGUFWriter(sys.argv[1], "qwen2")  # writes general.architecture
w.add_block_count(2)
w.add_uint8("test.u8", 255)
w.add_int8("test.i8", -128)
w.add_uint16("test.u16", 65535)
w.add_int16("test.i16", -32768)
w.add_int32("test.i32", -2147483648)
w.add_uint64("test.u64", 1 << 62)
w.add_int64("test.i64", -(1 << 62))
w.add_float32("test.f32", 0.25)
w.add_float64("test.f64", 1e-300)
w.add_bool("test.bool", False)
w.add_array("test.f32s", [1.5, -2.0])
w.add_token_list(["<|endoftext|>", "\u0120hello", "x"])
w.add_token_merges(["\u0120 h", "h e"])
w.add_token_types([3, 1, 1])

x = np.arange(3 * 64, dtype=np.float32).reshape(3, 64)
w.add_tensor("blk.0.attn_q.weight", x)
w.add_tensor("f16", np.linspace(-1, 1, 8, dtype=np.float16))
r = np.random.default_rng(7).standard_normal((2, 64)).astype(np.float32)
w.add_tensor("r", r)  # the input of q8, q4 and bf16
w.add_tensor("q8", quantize(r, GGMLQuantizationType.Q8_0), raw_dtype=GGMLQuantizationType.Q8_0)
w.add_tensor("q4", quantize(r, GGMLQuantizationType.Q4_0), raw_dtype=GGMLQuantizationType.Q4_0)
w.add_tensor("bf16", quantize(r[0], GGMLQuantizationType.BF16), raw_dtype=GGMLQuantizationType.BF16)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
