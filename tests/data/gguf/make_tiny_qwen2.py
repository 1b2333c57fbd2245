# tests/data/gguf/make_tiny_qwen2.py: a 1-layer qwen2-shaped F32 GGUF whose
# weight matrices tile tests/data/quant/input.f32 (in the order of the take()
# calls below), written with llama.cpp's gguf-py, as input to llama-quantize.
# Not run by the build; see README.md.
# Usage: PYTHONPATH=$LLAMA/gguf-py /usr/bin/python3 make_tiny_qwen2.py INPUT_F32 OUT.gguf
import sys
import numpy as np
from gguf import GGUFWriter
x = np.fromfile(sys.argv[1], dtype=np.float32)
rng = np.random.default_rng(1)
off = [0]
def take(shape):
    n = int(np.prod(shape))
    idx = (np.arange(n) + off[0]) % x.size
    off[0] += n
    return x[idx].reshape(shape).copy()
H, F, V, NH, NKV = 64, 128, 64, 2, 1
w = GGUFWriter(sys.argv[2], "qwen2")
w.add_block_count(1); w.add_context_length(256); w.add_embedding_length(H); w.add_feed_forward_length(F)
w.add_head_count(NH); w.add_head_count_kv(NKV); w.add_layer_norm_rms_eps(1e-6); w.add_rope_freq_base(1e6)
w.add_file_type(0)
w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre("qwen2")
w.add_token_list([f"t{i}" for i in range(V)]); w.add_token_types([1]*V); w.add_token_merges(["t 0"])
w.add_tensor("token_embd.weight", take((V, H)))
w.add_tensor("output_norm.weight", np.ones(H, dtype=np.float32))
w.add_tensor("blk.0.attn_norm.weight", np.ones(H, dtype=np.float32))
w.add_tensor("blk.0.attn_q.weight", take((H, H)))
w.add_tensor("blk.0.attn_q.bias", rng.standard_normal(H).astype(np.float32))
w.add_tensor("blk.0.attn_k.weight", take((H // NH * NKV, H)))
w.add_tensor("blk.0.attn_k.bias", rng.standard_normal(H // NH * NKV).astype(np.float32))
w.add_tensor("blk.0.attn_v.weight", take((H // NH * NKV, H)))
w.add_tensor("blk.0.attn_v.bias", rng.standard_normal(H // NH * NKV).astype(np.float32))
w.add_tensor("blk.0.attn_output.weight", take((H, H)))
w.add_tensor("blk.0.ffn_norm.weight", np.ones(H, dtype=np.float32))
w.add_tensor("blk.0.ffn_gate.weight", take((F, H)))
w.add_tensor("blk.0.ffn_up.weight", take((F, H)))
w.add_tensor("blk.0.ffn_down.weight", take((H, F)))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
print("values used", off[0])
