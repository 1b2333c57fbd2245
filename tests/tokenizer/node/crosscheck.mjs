// Tokenizes a generated corpus with an independent implementation of the
// Qwen2 tokenizer (@lenml/tokenizers, a port of transformers.js) loaded from
// the same tokenizer.json, and writes one JSON line per string:
// {"text": ..., "ids": [...]}. edge-rt's tokenizer_crosscheck test compares.
//
//   node crosscheck.mjs TOKENIZER_JSON OUT.jsonl [COUNT] [SEED]
//   node crosscheck.mjs --bench TOKENIZER_JSON TEXT_FILE   (prints MB/s)
import { readFileSync, writeFileSync } from "node:fs";
import { TokenizerLoader } from "@lenml/tokenizers";
import { makeCorpus } from "./corpus.mjs";

function load(path) {
  const tokenizerJSON = JSON.parse(readFileSync(path, "utf8"));
  return TokenizerLoader.fromPreTrained({
    tokenizerJSON,
    tokenizerConfig: { tokenizer_class: "Qwen2Tokenizer", add_bos_token: false, add_prefix_space: false,
                       clean_up_tokenization_spaces: false, model_max_length: 1 << 30 },
  });
}

const args = process.argv.slice(2);
if (args[0] === "--bench") {
  const tok = load(args[1]);
  const text = readFileSync(args[2], "utf8");
  tok.encode(text.slice(0, 10000), { add_special_tokens: false });  // warm up
  const start = process.hrtime.bigint();
  let ids = 0, rounds = 0;
  do {
    ids += tok.encode(text, { add_special_tokens: false }).length;
    ++rounds;
  } while (process.hrtime.bigint() - start < 2000000000n);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mb = (Buffer.byteLength(text, "utf8") * rounds) / 1e6;
  console.log(JSON.stringify({ mb_per_s: mb / seconds, tokens: ids / rounds, bytes: Buffer.byteLength(text, "utf8") }));
} else {
  const [tokenizerPath, outPath, count = "12000", seed = "20261122"] = args;
  const tok = load(tokenizerPath);
  const lines = makeCorpus(Number(count), Number(seed)).map((text) =>
    JSON.stringify({ text, ids: tok.encode(text, { add_special_tokens: false }) }));
  writeFileSync(outPath, lines.join("\n") + "\n");
  console.log(`wrote ${lines.length} strings to ${outPath}`);
}
