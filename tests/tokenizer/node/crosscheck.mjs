// Tokenizes a generated corpus with two other implementations of the same
// tokenizer.json and writes what they produced, one JSON line per input, for
// edge-rt's tokenizer_crosscheck test to compare with:
//   Hugging Face tokenizers (npm "tokenizers": the Rust library itself, as a
//   prebuilt Node module) -- the reference;
//   @lenml/tokenizers (a JS port of transformers.js) -- an independent peer.
// Lines: {"hex": input bytes, "hf": ids, "js": ids or null}
//        {"decode": ids, "hf_hex": bytes of HF's decode(ids)}
//
//   node crosscheck.mjs TOKENIZER_JSON OUT.jsonl [COUNT] [SEED]
//   node crosscheck.mjs --bench TOKENIZER_JSON TEXT_FILE   (prints MB/s of both)
//
// Exit code 77 (ctest: skipped) when the packages are not installed, unless
// CI=true, where that is a failure.
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { makeCorpus, comparableWithLenml } from "./corpus.mjs";

async function loadPackages() {
  try {
    const hf = await import("tokenizers");
    const lenml = await import("@lenml/tokenizers");
    return { hf, lenml };
  } catch (e) {
    const ci = process.env.CI === "true";
    console.error(`\n*** ${ci ? "FAILED" : "SKIPPED"}: the tokenizer cross-check needs its npm packages: ` +
                  `npm ci --prefix tests/tokenizer/node\n*** (${e.message.split("\n")[0]})\n`);
    process.exit(ci ? 1 : 77);
  }
}

function loadLenml(lenml, path) {
  const tokenizerJSON = JSON.parse(readFileSync(path, "utf8"));
  return lenml.TokenizerLoader.fromPreTrained({
    tokenizerJSON,
    tokenizerConfig: { tokenizer_class: "Qwen2Tokenizer", add_bos_token: false, add_prefix_space: false,
                       clean_up_tokenization_spaces: false, model_max_length: 1 << 30 },
  });
}

const hfIds = async (hf, text) => Array.from((await hf.encode(text, null, { addSpecialTokens: false })).getIds());

async function bench(pk, path, textPath) {
  const text = readFileSync(textPath, "utf8");
  const bytes = Buffer.byteLength(text, "utf8");
  const time = async (encode) => {
    await encode(text.slice(0, 10000));  // warm up
    const start = process.hrtime.bigint();
    let rounds = 0, tokens = 0;
    do {
      tokens = (await encode(text)).length;
      ++rounds;
    } while (process.hrtime.bigint() - start < 2000000000n);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { mb_per_s: (bytes * rounds) / 1e6 / seconds, tokens };
  };
  const lenml = loadLenml(pk.lenml, path);
  const hf = pk.hf.Tokenizer.fromFile(path);
  const js = await time(async (t) => lenml.encode(t, { add_special_tokens: false }));
  const rust = await time((t) => hfIds(hf, t));
  console.log(JSON.stringify({ bytes, lenml_js: js, hf_rust_via_node: rust }));
}

// Random id sequences for decode: vocabulary ids, added tokens, and runs of
// single-byte tokens that make invalid UTF-8.
function decodeCases(hf, count, seed) {
  let a = seed >>> 0;
  const r = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
  const direct = [];
  for (let b = 0x21; b <= 0x7e; ++b) direct.push(b);
  for (let b = 0xa1; b <= 0xac; ++b) direct.push(b);
  for (let b = 0xae; b <= 0xff; ++b) direct.push(b);
  const symbol = new Map(direct.map((b) => [b, String.fromCodePoint(b)]));
  let next = 256;
  for (let b = 0; b < 256; ++b) if (!symbol.has(b)) symbol.set(b, String.fromCodePoint(next++));
  const byteIds = [...Array(256).keys()].map((b) => hf.tokenToId(symbol.get(b)));
  const cases = [];
  for (let i = 0; i < count; ++i) {
    const ids = [];
    const n = 1 + Math.floor(r() * 12);
    for (let k = 0; k < n; ++k) {
      const x = r();
      if (x < 0.5) ids.push(byteIds[0x80 + Math.floor(r() * 128)]);
      else if (x < 0.6) ids.push(byteIds[Math.floor(r() * 128)]);
      else if (x < 0.9) ids.push(Math.floor(r() * 151643));
      else ids.push(151643 + Math.floor(r() * 22));
    }
    cases.push(ids);
  }
  return cases;
}

const args = process.argv.slice(2);
if (args[0] !== "--bench" && args[1]) rmSync(args[1], { force: true });  // never leave a stale corpus behind
const pk = await loadPackages();
if (args[0] === "--bench") {
  await bench(pk, args[1], args[2]);
} else {
  const [tokenizerPath, outPath, count = "12000", seed = "20261122"] = args;
  const hf = pk.hf.Tokenizer.fromFile(tokenizerPath);
  const lenml = loadLenml(pk.lenml, tokenizerPath);
  // WHATWG decoding: U+FFFD per maximal invalid subpart; a leading BOM is kept.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const lines = [];
  let lenmlCompared = 0;
  for (const bytes of makeCorpus(Number(count), Number(seed))) {
    const text = decoder.decode(bytes);
    const js = comparableWithLenml(text) ? lenml.encode(text, { add_special_tokens: false }) : null;
    lenmlCompared += js !== null;
    lines.push(JSON.stringify({ hex: bytes.toString("hex"), hf: await hfIds(hf, text), js }));
  }
  for (const ids of decodeCases(hf, 3000, Number(seed))) {
    lines.push(JSON.stringify({ decode: ids, hf_hex: Buffer.from(await hf.decode(ids, false), "utf8").toString("hex") }));
  }
  writeFileSync(outPath, lines.join("\n") + "\n");
  console.log(`wrote ${lines.length} lines to ${outPath} (${lenmlCompared} with @lenml/tokenizers ids)`);
}
