#!/usr/bin/env python3
"""Self-consistency tests of the PyTorch reference (qwen2.py, etm.py, make_golden.py).

    /usr/bin/python3 tools/reference/test_reference.py        # plain runner, no pytest needed
    /usr/bin/python3 -m pytest tools/reference                # if pytest is installed

Each property is checked against a second, independent formulation: RoPE as a
complex rotation, attention as explicit per-head loops, the whole model as a
token-by-token loop, LoRA gradients by finite differences in float64, the file
reader against the GGUF block formulas evaluated element by element.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import etm  # noqa: E402
import qwen2  # noqa: E402

F64 = torch.float64


def toy_config(**over):
    c = dict(architecture="qwen2", vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=128,
             rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True, attention_bias=True)
    c.update(over)
    return c


def toy_weights(cfg, seed=0, std=0.2):
    """Random weights (f64) with norms near 1, so every path matters."""
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in qwen2.expected_shapes(cfg).items():
        if name.endswith("norm.weight"):
            w[name] = 1 + 0.1 * torch.randn(shape, generator=g, dtype=F64)
        else:
            w[name] = std * torch.randn(shape, generator=g, dtype=F64)
    return w


# --- an independent, loop-by-loop formulation of the same model ---------------

def naive_forward(cfg, w, ids):
    """Token-by-token, head-by-head Qwen2 in float64 with complex-number RoPE."""
    w = {k: torch.as_tensor(np.asarray(v, dtype=np.float64)) if not isinstance(v, torch.Tensor) else v.to(F64)
         for k, v in w.items()}
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps, half = cfg["rms_norm_eps"], d // 2
    inv = [1.0 / (cfg["rope_theta"] ** (2 * j / d)) for j in range(half)]

    def norm(x, g):
        return g * x / math.sqrt(float((x * x).sum()) / len(x) + eps)

    def rope(vec, pos):  # pairs (j, j + d/2) rotate as one complex number
        out = vec.clone()
        for j in range(half):
            z = complex(vec[j], vec[j + half]) * complex(math.cos(pos * inv[j]), math.sin(pos * inv[j]))
            out[j], out[j + half] = z.real, z.imag
        return out

    def lin(name, x, bias=False):
        y = w[name + ".weight"] @ x
        return y + w[name + ".bias"] if bias else y

    xs = [w["model.embed_tokens.weight"][t].clone() for t in ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        keys, vals, queries = [], [], []
        for pos, x in enumerate(xs):
            h = norm(x, w[p + "input_layernorm.weight"])
            q = lin(p + "self_attn.q_proj", h, cfg["attention_bias"])
            k = lin(p + "self_attn.k_proj", h, cfg["attention_bias"])
            v = lin(p + "self_attn.v_proj", h, cfg["attention_bias"])
            queries.append([rope(q[hd * d:(hd + 1) * d], pos) for hd in range(nh)])
            keys.append([rope(k[hd * d:(hd + 1) * d], pos) for hd in range(nkv)])
            vals.append([v[hd * d:(hd + 1) * d] for hd in range(nkv)])
        new = []
        for pos, x in enumerate(xs):
            heads = []
            for hd in range(nh):
                kvh = hd // (nh // nkv)
                scores = [float(queries[pos][hd] @ keys[s][kvh]) / math.sqrt(d) for s in range(pos + 1)]
                m = max(scores)
                e = [math.exp(s - m) for s in scores]
                heads.append(sum(e[s] / sum(e) * vals[s][kvh] for s in range(pos + 1)))
            x = x + lin(p + "self_attn.o_proj", torch.cat(heads))
            h = norm(x, w[p + "post_attention_layernorm.weight"])
            g, u = lin(p + "mlp.gate_proj", h), lin(p + "mlp.up_proj", h)
            x = x + lin(p + "mlp.down_proj", g / (1 + torch.exp(-g)) * u)
            new.append(x)
        xs = new
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return torch.stack([head @ norm(x, w["model.norm.weight"]) for x in xs])


# --- tests -------------------------------------------------------------------

def test_rope_is_a_complex_rotation_of_half_pairs():
    d, theta = 16, 1e6
    pos = list(range(0, 200, 7))
    cos, sin = qwen2.rope_tables(pos, d, theta, F64)
    x = torch.randn(len(pos), d, dtype=F64)
    got = qwen2.apply_rope(x, cos, sin)
    inv = 1.0 / theta ** (np.arange(0, d, 2) / d)
    z = (x[:, : d // 2].numpy() + 1j * x[:, d // 2:].numpy()) * np.exp(1j * np.outer(pos, inv))
    want = np.concatenate([z.real, z.imag], axis=1)
    # The tables use float32 angles (as transformers): error ~ pos * ulp(angle).
    err = np.abs(got.numpy() - want).max()
    assert err < 1e-4, err
    # ...and the float32 angles are exactly float32(pos) * float32(inv_freq).
    inv32 = (1.0 / (np.float32(theta) ** (np.arange(0, d, 2, dtype=np.float32) / np.float32(d)))).astype(np.float32)
    ang = np.float32(pos)[:, None] * inv32[None, :]
    assert np.allclose(cos[:, : d // 2].numpy(), np.cos(ang.astype(np.float32)), rtol=0, atol=2e-7)
    # Position 0 is the identity; norms of each pair are kept.
    assert torch.equal(got[0], x[0])
    pair = lambda t: t[:, : d // 2] ** 2 + t[:, d // 2:] ** 2  # noqa: E731
    assert torch.allclose(pair(got), pair(x), rtol=1e-6, atol=0)  # f32 cos/sin: cos^2+sin^2 = 1 +- 1e-7


def test_gqa_attention_equals_per_head_loops():
    torch.manual_seed(1)
    nh, nkv, T, d = 6, 2, 5, 4
    q, k, v = torch.randn(nh, T, d, dtype=F64), torch.randn(nkv, T, d, dtype=F64), torch.randn(nkv, T, d, dtype=F64)
    got = qwen2.attention(q, k, v)
    for h in range(nh):
        kv = h // (nh // nkv)  # heads 0-2 share KV head 0, 3-5 share 1
        for t in range(T):
            s = torch.stack([q[h, t] @ k[kv, j] for j in range(t + 1)]) / math.sqrt(d)
            want = torch.softmax(s, 0) @ v[kv, : t + 1]
            assert torch.allclose(got[h, t], want, rtol=1e-13, atol=1e-13), (h, t)


def test_forward_equals_token_by_token_loops():
    for over in (dict(), dict(attention_bias=False, tie_word_embeddings=False, architecture="llama"),
                 dict(num_key_value_heads=4), dict(num_key_value_heads=1)):
        cfg = toy_config(**over)
        w = toy_weights(cfg, seed=3)
        ids = [5, 17, 17, 90, 0, 42, 3]
        got = qwen2.forward(cfg, w, ids)
        want = naive_forward(cfg, w, ids)
        # naive RoPE uses float64 angles, the reference float32 ones (as transformers)
        assert torch.allclose(got, want, rtol=0, atol=1e-5 * float(want.abs().max())), (over, (got - want).abs().max())


def test_forward_equals_naive_with_float64_angles_exactly():
    cfg = toy_config()
    w = toy_weights(cfg, seed=4)
    ids = [1, 2, 3, 4, 5]
    saved = qwen2.rope_tables

    def rope64(positions, head_dim, theta, dtype):
        inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=F64) / head_dim)
        f = torch.as_tensor(list(positions), dtype=F64)[:, None] * inv[None, :]
        e = torch.cat((f, f), -1)
        return e.cos().to(dtype), e.sin().to(dtype)
    qwen2.rope_tables = rope64
    try:
        got = qwen2.forward(cfg, w, ids)
    finally:
        qwen2.rope_tables = saved
    want = naive_forward(cfg, w, ids)
    assert torch.allclose(got, want, rtol=1e-11, atol=1e-11), (got - want).abs().max()


def test_causal_prefix_logits_do_not_depend_on_later_tokens():
    cfg = toy_config()
    w = toy_weights(cfg)
    full = qwen2.forward(cfg, w, [3, 1, 4, 1, 5, 9, 2, 6])
    part = qwen2.forward(cfg, w, [3, 1, 4, 1, 5])
    assert torch.allclose(full[:5], part, rtol=1e-13, atol=1e-13)
    rows = qwen2.forward(cfg, w, [3, 1, 4, 1, 5, 9, 2, 6], rows=[7, 0], head_chunk=10)
    assert torch.allclose(rows, full[[7, 0]], rtol=1e-13, atol=1e-13)


def test_float32_agrees_with_float64_within_rounding():
    cfg = toy_config(vocab_size=512, hidden_size=64, intermediate_size=128, num_attention_heads=4, head_dim=16)
    w = toy_weights(cfg, std=0.05)
    ids = list(range(0, 512, 33))
    l64 = qwen2.forward(cfg, w, ids, F64)
    l32 = qwen2.forward(cfg, w, ids, torch.float32)
    rel = float((l32.double() - l64).abs().max() / l64.abs().max())
    print(f"  float32 vs float64: max |diff| / max |logit| = {rel:.2e}")
    assert 1e-9 < rel < 1e-5, rel  # float32 rounding is visible, and small


def test_lora_zero_b_is_the_base_model_and_merge_equals_adapter():
    cfg = toy_config()
    w = toy_weights(cfg)
    ids = [7, 8, 9, 10]
    base = qwen2.forward(cfg, w, ids)
    zero = qwen2.make_lora(cfg, r=4, alpha=8)
    assert torch.equal(qwen2.forward(cfg, w, ids, lora=zero), base)
    lora = qwen2.make_lora(cfg, r=4, alpha=8, b_std=0.1, seed=2)
    with torch.no_grad():
        adapted = qwen2.forward(cfg, w, ids, lora=lora)
        merged = qwen2.forward(cfg, qwen2.merge(cfg, w, lora), ids)
    assert (adapted - base).abs().max() > 1e-3
    assert torch.allclose(adapted, merged, rtol=1e-12, atol=1e-12)
    # PEFT init bound: A in [-1/sqrt(in), 1/sqrt(in)]
    a = zero[(0, "down_proj")].a
    assert a.shape == (4, cfg["intermediate_size"]) and a.abs().max() <= 1 / math.sqrt(cfg["intermediate_size"])


def test_lora_scaling_plain_and_rslora():
    a, b = torch.ones(4, 3, dtype=F64), torch.ones(2, 4, dtype=F64)
    assert qwen2.Lora(a, b, alpha=16).scale == 4.0
    assert qwen2.Lora(a, b, alpha=16, rslora=True).scale == 8.0
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=F64)
    assert torch.equal(qwen2.Lora(a, b, alpha=16)(x), torch.full((1, 2), 4.0 * 4 * 6, dtype=F64))
    assert qwen2.peft_name(3, "up_proj", "B") == "base_model.model.model.layers.3.mlp.up_proj.lora_B.weight"


def test_hf_loss_is_the_mean_over_counted_shifted_tokens():
    torch.manual_seed(0)
    logits = torch.randn(6, 10, dtype=F64)
    labels = [-100, 3, -100, 7, 1, 9]
    want, n = 0.0, 0
    for t in range(5):  # logits[t] predicts labels[t+1]
        if labels[t + 1] != -100:
            want -= float(torch.log_softmax(logits[t], 0)[labels[t + 1]])
            n += 1
    assert n == 4
    assert abs(float(qwen2.hf_loss(logits, labels)) - want / n) < 1e-12
    s, c = qwen2.hf_loss_sum(logits, labels)
    assert c == 4 and abs(float(s) - want) < 1e-12
    assert math.isnan(float(qwen2.hf_loss(logits, [-100] * 6)))


def test_padded_batch_equals_each_sequence_alone():
    """forward_batch with right padding: each row's real positions are the
    sequence's own logits (causal: padding after a token never reaches it)."""
    cfg = toy_config()
    w = toy_weights(cfg, seed=3)
    lora = qwen2.make_lora(cfg, r=2, b_std=0.1, seed=4)
    seqs = [[5, 9, 2, 40, 7], [11, 3]]
    ids = [s + [0] * (5 - len(s)) for s in seqs]
    mask = [[1] * len(s) + [0] * (5 - len(s)) for s in seqs]
    with torch.no_grad():
        batch = qwen2.forward_batch(cfg, w, ids, mask, lora=lora)
        for b, s in enumerate(seqs):
            alone = qwen2.forward(cfg, w, s, lora=lora)
            assert float((batch[b, :len(s)] - alone).abs().max()) < 1e-12


def test_lora_gradients_match_finite_differences():
    cfg = toy_config(rope_theta=1e6)
    w = toy_weights(cfg, seed=5)
    lora = qwen2.make_lora(cfg, r=2, alpha=4, b_std=0.2, seed=6, rslora=True)
    ids = [11, 4, 60, 23, 4, 88]
    labels = [-100, -100, 60, 23, -100, 88]

    def loss():
        return qwen2.hf_loss(qwen2.forward(cfg, w, ids, lora=lora), labels)
    params = qwen2.lora_parameters(lora)
    assert len(params) == 2 * 7 * cfg["num_hidden_layers"]
    grads = torch.autograd.grad(loss(), params)
    g = torch.Generator().manual_seed(0)
    worst = 0.0
    with torch.no_grad():
        for p, gr in zip(params, grads):
            for _ in range(3):  # a few random entries of every A and B
                idx = tuple(int(torch.randint(s, (1,), generator=g)) for s in p.shape)
                h, old = 1e-5, float(p[idx])
                p[idx] = old + h
                up = float(loss())
                p[idx] = old - h
                down = float(loss())
                p[idx] = old
                fd = (up - down) / (2 * h)
                err = abs(fd - float(gr[idx])) / max(1e-4, abs(fd))
                worst = max(worst, err)
                assert err < 1e-6, (idx, fd, float(gr[idx]))
    print(f"  LoRA gradient vs central differences: worst relative error {worst:.1e}")


def test_etm_round_trip_dequantizes_by_the_block_formulas():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 64)) * np.array([1e-3, 1, 100, 0])[:, None]).astype(np.float32)
    x[1, 5] = 65504.0 / 2  # large, still finite in f16
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.etm")
        cfg = toy_config()
        etm.write(path, cfg, [(f"t.{dt}", dt, x) for dt in ("f32", "f16", "bf16", "q8_0", "q4_0")])
        f = etm.EtmFile(path)
        assert f.config["hidden_size"] == 32 and f.config["tie_word_embeddings"] is True
        assert abs(f.config["rms_norm_eps"] - 1e-6) < 1e-12 and f.config["architecture"] == "qwen2"
        assert f.info["t.q8_0"].start % 64 == 0 and f.info["t.f32"].start % 4096 == 0
        assert np.array_equal(f.array("t.f32"), x)
        assert np.array_equal(f.array("t.f16"), x.astype(np.float16).astype(np.float32))
        bf = f.array("t.bf16")
        assert np.all(np.abs(bf - x) <= np.abs(x) * 2.0 ** -8)
        assert np.all(bf.view(np.uint32) & 0xFFFF == 0)
        for dt in ("q8_0", "q4_0"):  # element by element from the raw bytes
            raw = bytes(f.buf[f.info["t." + dt].start: f.info["t." + dt].start + f.info["t." + dt].size])
            bsz = 34 if dt == "q8_0" else 18
            want = []
            for blk in range(len(raw) // bsz):
                b = raw[blk * bsz:(blk + 1) * bsz]
                d = float(np.frombuffer(b[:2], "<f2")[0])
                if dt == "q8_0":
                    want += [d * q for q in np.frombuffer(b[2:], np.int8)]
                else:
                    qs = b[2:]
                    want += [d * ((q & 15) - 8) for q in qs] + [d * ((q >> 4) - 8) for q in qs]
            got = f.array("t." + dt)
            assert np.array_equal(got.ravel(), np.array(want, np.float32)), dt
            assert np.abs(got - x).max() <= np.abs(x).max() * (0.01 if dt == "q8_0" else 0.2)
            assert np.array_equal(f.rows("t." + dt, 1, 3), got[1:3])
            assert np.array_equal(f.take("t." + dt, [3, 0]), got[[3, 0]])


def _write_toy(path, cfg, w, dtype="f32"):
    etm.write(path, cfg, [(n, dtype if t.dim() == 2 else "f32", t.numpy().astype(np.float32)) for n, t in w.items()])


def test_etm_reader_refuses_damaged_files():
    cfg = toy_config()
    w = toy_weights(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.etm")
        _write_toy(good, cfg, w)
        data = open(good, "rb").read()
        f = etm.EtmFile(good)
        last = max(f.info.values(), key=lambda t: t.start)

        def expect(blob, words):
            p = os.path.join(tmp, "bad.etm")
            open(p, "wb").write(blob)
            try:
                etm.EtmFile(p)
            except ValueError as e:
                assert all(wd in str(e) for wd in words), str(e)
                return
            raise AssertionError(f"accepted a file that should fail with {words}")
        expect(data[:8] + b"XXXX" + data[12:], ["identifier"])
        expect(data[:10], ["too short"])
        expect(data[:last.start + last.size - 1], [last.name, "past end of file"])
        expect((10 ** 6).to_bytes(4, "little") + data[4:], ["size prefix"])
        # a tensor size field that disagrees with its shape
        i = data.find(last.size.to_bytes(8, "little"))
        assert i > 0
        expect(data[:i] + (last.size + 4).to_bytes(8, "little") + data[i + 8:], ["expected"])


def test_weights_from_a_file_equal_weights_in_memory():
    cfg = toy_config(tie_word_embeddings=False, intermediate_size=64)  # rows of whole Q4_0 blocks
    w = toy_weights(cfg)
    w32 = {k: v.float().double() for k, v in w.items()}  # what an f32 file holds
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.etm")
        _write_toy(path, cfg, w)
        f = etm.EtmFile(path)
        qwen2.check_weights(cfg, qwen2.Weights(f))
        ids = [1, 50, 2, 95]
        from_file = qwen2.forward(f.config, qwen2.Weights(f, cache=False), ids, head_chunk=7)
        in_memory = qwen2.forward(f.config, w32, ids)  # f.config: eps as the file's float32
        assert torch.allclose(from_file, in_memory, rtol=1e-14, atol=1e-14), (from_file - in_memory).abs().max()
        # a quantized file reads as its dequantized values
        qpath = os.path.join(tmp, "q.etm")
        _write_toy(qpath, cfg, w, "q4_0")
        qf = etm.EtmFile(qpath)
        deq = {n: torch.from_numpy(np.array(qf.array(n))).double() for n in qf.info}
        assert torch.allclose(qwen2.forward(qf.config, qwen2.Weights(qf), ids), qwen2.forward(qf.config, deq, ids),
                              rtol=1e-14, atol=1e-14)
    broken = dict(w)
    del broken["model.layers.1.mlp.up_proj.weight"]
    try:
        qwen2.check_weights(cfg, qwen2.Weights(broken))
        raise AssertionError("missing tensor accepted")
    except ValueError as e:
        assert "model.layers.1.mlp.up_proj.weight" in str(e)


def test_greedy_follows_argmax_of_full_forward():
    cfg = toy_config()
    w = toy_weights(cfg, std=0.5)
    toks, margins = qwen2.greedy(cfg, w, [1, 2, 3], 6)
    seq = [1, 2, 3] + toks
    logits = qwen2.forward(cfg, w, seq)
    assert toks == [int(logits[t].argmax()) for t in range(2, 8)]
    assert all(m >= 0 for m in margins) and len(margins) == 6


def test_make_golden_writes_v1_little_endian_npy():
    cfg = toy_config(vocab_size=200)
    w = toy_weights(cfg, std=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "m.etm")
        _write_toy(model, cfg, w)
        out = os.path.join(tmp, "out")
        subprocess.run([sys.executable, os.path.join(HERE, "make_golden.py"), model, out, "toy", "--prompt-len", "8",
                        "--positions", "0,7", "--greedy", "5", "--top-k", "5", "--vocab-stride", "3", "--top1"], check=True,
                       stdout=subprocess.DEVNULL)
        load = lambda s: np.load(os.path.join(out, f"toy.{s}.npy"))  # noqa: E731
        for s in ("ids", "positions", "logits", "absmax", "top1", "topk_ids", "topk_logits", "greedy",
                  "greedy_margin"):
            raw = open(os.path.join(out, f"toy.{s}.npy"), "rb").read(10)
            assert raw[:8] == b"\x93NUMPY\x01\x00", s
            a = load(s)
            assert a.dtype.str in ("<f4", "<i4") and a.flags.c_contiguous, (s, a.dtype)
        ids = load("ids").tolist()
        full = qwen2.forward(cfg, {k: v.float().double() for k, v in w.items()}, ids)
        assert load("logits").shape == (2, 67)
        assert np.array_equal(load("logits"), full[[0, 7]][:, ::3].numpy().astype(np.float32))
        assert np.array_equal(load("absmax"), full[[0, 7]].abs().max(1).values.numpy().astype(np.float32))
        assert load("topk_ids").shape == (8, 5) and np.array_equal(load("topk_ids")[:, 0], load("top1"))
        assert np.array_equal(load("topk_logits")[:, 0], full.max(1).values.numpy().astype(np.float32))
        assert load("greedy").shape == (5,)


def main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"ok    {name}")
        except Exception as e:  # report every failure, not only the first
            failed += 1
            print(f"FAIL  {name}: {type(e).__name__}: {e}")
    print(f"{len(tests) - failed}/{len(tests)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    torch.set_num_threads(1)
    sys.exit(main())
