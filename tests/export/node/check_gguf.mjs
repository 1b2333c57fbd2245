// An independent reader's view of the GGUF files edge-export writes.
//
// @huggingface/gguf parses each file; what it finds is compared with what the
// file must say, derived here from other sources than our GGUF code:
//   model GGUF:  `edge-convert --info --json` of the .etm it came from (config,
//                tensor names/dtypes/shapes/offsets), tokenizer.json itself
//                (tokens, token types, merges, special ids), llama.cpp's names
//                (the table below), and the tensors' bytes read from the .etm
//   LoRA GGUF:   the PEFT folder edge-export wrote for the same adapter
//                (adapter_config.json, adapter_model.safetensors' header and bytes)
// Every key (the exact set, with its type), tensor name, type, shape, offset
// and the bytes are checked. Exit 0 when all agree; otherwise every
// disagreement is printed and the exit code is 1.
//
// usage: node check_gguf.mjs model INFO.json TOKENIZER.json MODEL.gguf
//        node check_gguf.mjs lora PEFT_DIR ADAPTER.gguf
import { gguf, GGUFValueType as T } from "@huggingface/gguf";
import { readFileSync, openSync, readSync, fstatSync } from "node:fs";
import { createHash } from "node:crypto";

const problems = [];
const fail = (m) => problems.push(m);
const eq = (what, got, want) => {
  if (got !== want) fail(`${what}: got ${JSON.stringify(got, bigints)}, want ${JSON.stringify(want, bigints)}`);
};
function bigints(_k, v) {
  return typeof v === "bigint" ? v.toString() + "n" : v;
}

// ggml type ids and block geometry (ggml.h): elements per block, bytes per block.
const GGML = { f32: [0, 1, 4], f16: [1, 1, 2], q4_0: [2, 32, 18], q8_0: [8, 32, 34], bf16: [30, 1, 2] };

// Hugging Face name -> llama.cpp name (llama.cpp's tensor_mapping for qwen2).
function ggufName(hf) {
  const top = { "model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight" };
  if (top[hf]) return top[hf];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  if (!m) return null;
  const layer = {
    "input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
  };
  return layer[m[2]] ? `blk.${m[1]}.${layer[m[2]]}` : null;
}

function hashRange(fd, offset, size) {
  const h = createHash("sha256");
  const buf = Buffer.alloc(1 << 20);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - done), offset + done);
    if (n <= 0) throw new Error(`short read at ${offset + done}`);
    h.update(buf.subarray(0, n));
    done += n;
  }
  return h.digest("hex");
}

// keys: { key: [type, value, subType?] }; value undefined: only the type is checked; a function: a predicate.
function checkKeys(meta, keys) {
  const got = Object.keys(meta).filter((k) => !["version", "tensor_count", "kv_count"].includes(k)).sort();
  eq("metadata keys", got.join(","), Object.keys(keys).sort().join(","));
  for (const [k, [type, value, sub]] of Object.entries(keys)) {
    const e = meta[k];
    if (!e) continue;
    eq(`${k} type`, e.type, type);
    if (sub !== undefined) eq(`${k} element type`, e.subType, sub);
    if (typeof value === "function") {
      const verdict = value(e.value);
      if (verdict !== true) fail(`${k}: ${verdict}`);
    } else if (value !== undefined) {
      eq(k, e.value, value);
    }
  }
}

function arrayEquals(want) {
  return (got) => {
    if (got.length !== want.length) return `length ${got.length}, want ${want.length}`;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `[${i}] = ${JSON.stringify(got[i])}, want ${JSON.stringify(want[i])}`;
    return true;
  };
}

// Tensor infos: names, ggml types, shapes (ne: innermost first), offsets laid
// out back to back at the file's alignment; bytes compared with `source`.
function checkTensors(parsed, path, want, alignment) {
  const infos = parsed.tensorInfos;
  eq("tensor count", infos.length, want.length);
  eq("data section aligned", Number(parsed.tensorDataOffset) % alignment, 0);
  const fd = openSync(path, "r");
  let offset = 0n;
  for (let i = 0; i < Math.min(infos.length, want.length); i++) {
    const t = infos[i], w = want[i];
    eq(`tensor ${i} name`, t.name, w.name);
    eq(`${w.name} type`, t.dtype, w.type);
    eq(`${w.name} n_dims`, t.n_dims, w.ne.length);
    eq(`${w.name} shape`, t.shape.map(Number).join(","), w.ne.join(","));
    eq(`${w.name} offset`, t.offset, offset);
    const at = Number(parsed.tensorDataOffset + t.offset);
    if (hashRange(fd, at, w.size) !== w.hash()) fail(`${w.name}: bytes differ from the source`);
    offset = ((offset + BigInt(w.size) + BigInt(alignment) - 1n) / BigInt(alignment)) * BigInt(alignment);
  }
  eq("file size", BigInt(fstatSync(fd).size), parsed.tensorDataOffset + offset);
}

async function checkModel(infoPath, tokenizerPath, path) {
  const info = JSON.parse(readFileSync(infoPath, "utf8"));
  const tok = JSON.parse(readFileSync(tokenizerPath, "utf8"));
  const c = info.config;
  const parsed = await gguf(path, { allowLocalFile: true, typedMetadata: true });
  const meta = parsed.typedMetadata;
  eq("version", meta.version.value, 3);

  // Tokens padded to the embedding's rows, as llama.cpp's converter pads them.
  const tokens = Array.from({ length: c.vocab_size }, (_, i) => `[PAD${i}]`);
  const types = new Array(c.vocab_size).fill(5);
  for (const [s, id] of Object.entries(tok.model.vocab)) (tokens[id] = s), (types[id] = 1);
  // llama.cpp's converter (does_token_look_special): control when special or looking special.
  const looksSpecial = (t) =>
    (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>")) ||
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(t) || (t.startsWith("<unused") && t.endsWith(">"));
  for (const a of tok.added_tokens) (tokens[a.id] = a.content), (types[a.id] = a.special || looksSpecial(a.content) ? 3 : 4);
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  const matrix = info.tensors.find((t) => t.name === "model.layers.0.mlp.gate_proj.weight").dtype;
  const fileType = { f32: 0, f16: 1, q4_0: 2, q8_0: 7, bf16: 32 }[matrix];
  const quantized = matrix === "q4_0" || matrix === "q8_0";

  const keys = {
    "general.architecture": [T.STRING, "qwen2"],
    "general.name": [T.STRING],
    "general.file_type": [T.UINT32, fileType],
    "qwen2.block_count": [T.UINT32, c.num_hidden_layers],
    "qwen2.context_length": [T.UINT32, c.max_position_embeddings],
    "qwen2.embedding_length": [T.UINT32, c.hidden_size],
    "qwen2.feed_forward_length": [T.UINT32, c.intermediate_size],
    "qwen2.attention.head_count": [T.UINT32, c.num_attention_heads],
    "qwen2.attention.head_count_kv": [T.UINT32, c.num_key_value_heads],
    "qwen2.rope.freq_base": [T.FLOAT32, Math.fround(c.rope_theta)],
    "qwen2.attention.layer_norm_rms_epsilon": [T.FLOAT32, Math.fround(c.rms_norm_eps)],
    "tokenizer.ggml.model": [T.STRING, "gpt2"],
    "tokenizer.ggml.pre": [T.STRING, "qwen2"],
    "tokenizer.ggml.tokens": [T.ARRAY, arrayEquals(tokens), T.STRING],
    "tokenizer.ggml.token_type": [T.ARRAY, arrayEquals(types), T.INT32],
    "tokenizer.ggml.merges": [T.ARRAY, arrayEquals(merges), T.STRING],
    "tokenizer.ggml.bos_token_id": [T.UINT32, c.bos_token_id],
    "tokenizer.ggml.eos_token_id": [T.UINT32, c.eos_token_id],
    "tokenizer.ggml.padding_token_id": [T.UINT32, c.bos_token_id],
    "tokenizer.ggml.add_bos_token": [T.BOOL, false],
    "tokenizer.chat_template": [T.STRING, (v) =>
      v.includes("<|im_start|>") && v.includes("add_generation_prompt") && v.includes("<|im_end|>") || "not ChatML"],
  };
  if (quantized) keys["general.quantization_version"] = [T.UINT32, 2];
  checkKeys(meta, keys);

  const etm = openSync(info.path, "r");
  const want = info.tensors.map((t) => {
    const [type, blockElems, blockBytes] = GGML[t.dtype];
    const elems = t.shape.reduce((a, b) => a * b, 1);
    return {
      name: ggufName(t.name) ?? `(no llama.cpp name for ${t.name})`,
      type,
      ne: [...t.shape].reverse(),
      size: (elems / blockElems) * blockBytes,
      hash: () => hashRange(etm, t.offset, t.size),
    };
  });
  want.forEach((w, i) => w.size === info.tensors[i].size || fail(`${w.name}: size from type and shape differs from the .etm's`));
  checkTensors(parsed, path, want, 32);
  return `${parsed.tensorInfos.length} tensors, ${Object.keys(meta).length - 3} keys`;
}

async function checkLora(peftDir, path) {
  const config = JSON.parse(readFileSync(`${peftDir}/adapter_config.json`, "utf8"));
  const st = `${peftDir}/adapter_model.safetensors`;
  const fd = openSync(st, "r");
  const lenBuf = Buffer.alloc(8);
  readSync(fd, lenBuf, 0, 8, 0);
  const headerLen = Number(lenBuf.readBigUInt64LE(0));
  const header = JSON.parse(readFileSync(st).subarray(8, 8 + headerLen).toString("utf8"));
  const base = 8 + headerLen;

  const parsed = await gguf(path, { allowLocalFile: true, typedMetadata: true });
  const r = config.r;
  const scale = config.use_rslora ? config.lora_alpha / Math.sqrt(r) : config.lora_alpha / r;
  checkKeys(parsed.typedMetadata, {
    "general.architecture": [T.STRING, "qwen2"],
    "general.type": [T.STRING, "adapter"],
    "general.name": [T.STRING],
    "adapter.type": [T.STRING, "lora"],
    // llama.cpp applies alpha / rank (rank = lora_b's ne[0]).
    "adapter.lora.alpha": [T.FLOAT32, (v) => Math.abs(v / r - scale) <= 1e-6 * scale || `alpha ${v} / r ${r} != PEFT's scale ${scale}`],
  });

  // PEFT's names in layer, then module order: q k v o gate up down; A then B.
  const order = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const key = (n) => {
    const m = /^base_model\.model\.model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_([AB])\.weight$/.exec(n);
    if (!m) throw new Error(`unexpected PEFT tensor ${n}`);
    return [Number(m[1]), order.indexOf(m[3]), m[4], m];
  };
  names.sort((a, b) => {
    const [la, ta, xa] = key(a), [lb, tb, xb] = key(b);
    return la - lb || ta - tb || (xa < xb ? -1 : xa > xb ? 1 : 0);
  });
  const want = names.map((n) => {
    const [, , ab, m] = key(n);
    const h = header[n];
    if (h.dtype !== "F32") fail(`${n}: PEFT dtype ${h.dtype}`);
    const [begin, end] = h.data_offsets;
    return {
      name: `${ggufName(`model.layers.${m[1]}.${m[2]}.${m[3]}.weight`)}.lora_${ab.toLowerCase()}`,
      type: GGML.f32[0],
      ne: [...h.shape].reverse(),  // lora_a [r][in] -> ne {in, r}; lora_b [out][r] -> ne {r, out}
      size: end - begin,
      hash: () => hashRange(fd, base + begin, end - begin),
    };
  });
  checkTensors(parsed, path, want, 32);
  return `${parsed.tensorInfos.length} tensors, alpha ${parsed.typedMetadata["adapter.lora.alpha"]?.value}`;
}

const [mode, ...args] = process.argv.slice(2);
let summary;
try {
  if (mode === "model" && args.length === 3) summary = await checkModel(...args);
  else if (mode === "lora" && args.length === 2) summary = await checkLora(...args);
  else {
    console.error("usage: check_gguf.mjs model INFO.json TOKENIZER.json MODEL.gguf | lora PEFT_DIR ADAPTER.gguf");
    process.exit(2);
  }
} catch (e) {
  fail(`cannot check: ${e.stack ?? e}`);
}
const file = args[args.length - 1];
if (problems.length) {
  for (const p of problems.slice(0, 50)) console.log(`FAIL ${file}: ${p}`);
  if (problems.length > 50) console.log(`... and ${problems.length - 50} more`);
  process.exit(1);
}
console.log(`ok   ${file}: @huggingface/gguf agrees (${summary})`);
