// A deterministic corpus of strings that stress a byte-level BPE tokenizer:
// code, CJK, emoji (with ZWJ and skin tones), accents (precomposed and
// combining, which NFC must compose), digits, contractions in any case,
// whitespace runs, tabs, CR/LF, punctuation runs, and added tokens.
//
// Left out on purpose: U+0085 (NEL) and U+FEFF. The JS regex engine's \s
// disagrees with Hugging Face's (Oniguruma, Unicode White_Space) on them;
// edge-rt follows Hugging Face, pinned by a unit test instead.

function rng(seed) {  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["the", "The", "HELLO", "world", "tokenizer", "naïve", "café", "Straße", "résumé", "über", "ångström",
  "déjà", "vu", "façade", "jalapeño", "smörgåsbord", "Ελληνικά", "русский", "язык", "עברית", "العربية", "हिन्दी",
  "ภาษาไทย", "한국어", "日本語", "中文", "汉字", "漢字", "東京", "の", "は", "ありがとう", "カタカナ", "你好", "世界",
  "😀", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "❤️", "∑", "√", "∞", "≠", "→", "©", "®", "™", "€", "£", "¥", "½", "²",
  "١٢٣", "٤٥", "१२३", "Ⅻ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙", "ǅ", "ﬁ", "Ⅸ"];
const CODE = ["def f(x):", "return x**2", "for (int i = 0; i < n; ++i) {", "}", "std::vector<int> v;", "x += 1;",
  "if (a && b || !c)", "=>", "!==", "===", "// comment", "/* block */", "#include <stdio.h>", "println!(\"{}\", x);",
  "SELECT * FROM t WHERE id = 42;", "<div class=\"a\">", "</div>", "$HOME/.bashrc", "a_b_c", "__init__",
  "0x1F", "1e-9", "3.14159", "-42", "1,000,000", "192.168.0.1", "graph TD;", "A-->B", "digraph G {", "a -> b;"];
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'D", "'x", "'"];
const SPACES = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "  \n\n  ", "\u00a0", "\u3000", "\u2003",
  "\u2028", " \t ", "\r", "\n\n\n"];
const PUNCT = [".", ",", "!", "?", "...", "—", "–", "-", "(", ")", "[", "]", "{", "}", "\"", "«", "»", "“", "”", "、",
  "。", "！", "？", "：", ";", ":", "@", "#", "%", "&", "*", "~", "`", "^", "|", "\\", "/", "+", "="];
const SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"];
const COMBINING = ["e\u0301", "a\u0308", "n\u0303", "o\u0302", "c\u0327", "u\u0308\u0301", "\u1100\u1161"];

function piece(r) {
  const pick = (list) => list[Math.floor(r() * list.length)];
  const x = r();
  if (x < 0.30) return pick(WORDS);
  if (x < 0.45) return pick(CODE);
  if (x < 0.55) return String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 8))));
  if (x < 0.62) return pick(WORDS) + pick(CONTRACTIONS);
  if (x < 0.75) return pick(SPACES);
  if (x < 0.87) return pick(PUNCT).repeat(1 + Math.floor(r() * 3));
  if (x < 0.90) return pick(SPECIAL);
  if (x < 0.95) return pick(COMBINING);
  // A random code point from a few blocks (no surrogates, no U+0085/U+FEFF).
  const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x4e00, 0x9fff], [0x3040, 0x30ff],
    [0xac00, 0xd7a3], [0x1f300, 0x1f64f], [0x2000, 0x206f]];
  const [lo, hi] = pick(blocks);
  let cp = lo + Math.floor(r() * (hi - lo + 1));
  if (cp === 0x85 || cp === 0xfeff) cp = 0x41;
  return String.fromCodePoint(cp);
}

export function makeCorpus(count, seed) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < count; ++i) {
    const n = 1 + Math.floor(r() * 24);
    let s = "";
    for (let k = 0; k < n; ++k) s += piece(r);
    out.push(s);
  }
  // Long runs that stress pre-tokenizers: whitespace, digits, one long word.
  out.push(" ".repeat(5000), "\n".repeat(300), " \n".repeat(200), "9".repeat(4000), "a".repeat(3000),
           "ab".repeat(2000) + " end", "\t".repeat(100) + "x");
  return out;
}
