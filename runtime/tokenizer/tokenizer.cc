// runtime/tokenizer/tokenizer.cc: the pieces (added-token matcher, NFC,
// pre-tokenizer, BPE) put together in Hugging Face's order.
#include "runtime/tokenizer/tokenizer.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "runtime/tokenizer/added_tokens.h"
#include "runtime/tokenizer/bpe.h"
#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/unicode.h"

namespace edgert {

struct Tokenizer::Impl {
  Bpe bpe;
  PreTokenizer pre;
  bool nfc = false;
  AddedTokenMatcher raw_added;         // normalized=false: matched in the raw text
  AddedTokenMatcher normalized_added;  // normalized=true: matched after NFC
  std::unordered_map<std::string, int32_t> added_ids;
  std::unordered_map<int32_t, std::string> added_bytes;  // what Decode makes of an added token
  int32_t size = 0;
  // Words seen before -> ids. Most text repeats its words; this halves the work.
  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
  static constexpr size_t kMaxCached = 1 << 16;
  static constexpr size_t kMaxCachedWord = 32;

  Impl(Bpe b, PreTokenizer p) : bpe(std::move(b)), pre(std::move(p)) {}

  void EncodeWord(std::string_view word, std::vector<int32_t>& out) const {
    if (word.size() > kMaxCachedWord) {
      bpe.Encode(word, out);
      return;
    }
    const std::string key(word);
    {
      std::shared_lock lock(cache_mutex);
      const auto it = cache.find(key);
      if (it != cache.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const size_t start = out.size();
    bpe.Encode(word, out);
    std::unique_lock lock(cache_mutex);
    if (cache.size() >= kMaxCached) cache.clear();
    cache.emplace(key, std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()));
  }

  // Normalized text without added tokens: pre-tokenize, then BPE each word.
  void EncodePlain(std::string_view text, std::vector<int32_t>& out) const {
    thread_local std::vector<std::string_view> words;
    words.clear();
    pre.Split(text, words);
    for (std::string_view w : words) EncodeWord(w, out);
  }

  // Raw text between raw-matched added tokens.
  void EncodeSegment(std::string_view raw, std::vector<int32_t>& out) const {
    std::string normalized;
    std::string_view text = raw;
    if (nfc && !unicode::IsAscii(raw)) {
      normalized = unicode::Nfc(raw);
      text = normalized;
    }
    if (normalized_added.empty()) {
      EncodePlain(text, out);
      return;
    }
    std::vector<AddedSegment> segments;
    normalized_added.Split(text, segments);
    for (const AddedSegment& s : segments) {
      if (s.id >= 0) {
        out.push_back(s.id);
      } else {
        EncodePlain(s.text, out);
      }
    }
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::Create(const TokenizerSpec& spec) {
  if (spec.model_type != "BPE") return Unsupported("tokenizer model '" + spec.model_type + "' (only BPE)");
  if (!spec.normalizer.empty() && spec.normalizer != "NFC") return Unsupported("normalizer '" + spec.normalizer + "'");
  if (spec.pretokenizer_regex.empty()) return InvalidArgument("tokenizer has no pre-tokenizer pattern");
  auto bpe = Bpe::Create(spec);
  if (!bpe.ok()) return bpe.status().WithContext("tokenizer");
  auto pre = PreTokenizer::Create(spec.pretokenizer_regex);
  if (!pre.ok()) return pre.status().WithContext("tokenizer");
  auto impl = std::make_unique<Impl>(std::move(*bpe), std::move(*pre));
  impl->nfc = spec.normalizer == "NFC";
  impl->size = static_cast<int32_t>(spec.vocab.size());
  std::vector<AddedTokenSpec> raw, normalized;
  for (AddedTokenSpec a : spec.added_tokens) {
    if (a.content.empty()) return InvalidArgument("added token " + std::to_string(a.id) + " is empty");
    if (a.id < 0) return InvalidArgument("added token '" + a.content + "' has a negative id");
    if (!unicode::IsValidUtf8(a.content)) return InvalidArgument("added token " + std::to_string(a.id) + " is not UTF-8");
    // HF gives an added token that is also a vocabulary token the vocabulary's id.
    if (const auto in_vocab = impl->bpe.Find(a.content)) a.id = *in_vocab;
    impl->added_ids.emplace(a.content, a.id);
    impl->added_bytes[a.id] = ByteLevelDecode(a.content);
    impl->size = std::max(impl->size, a.id + 1);
    if (a.normalized) {
      AddedTokenSpec n = a;
      if (impl->nfc) n.content = unicode::Nfc(a.content);  // HF matches the normalized form
      normalized.push_back(std::move(n));
    } else {
      raw.push_back(a);
    }
  }
  impl->raw_added = AddedTokenMatcher(raw);
  impl->normalized_added = AddedTokenMatcher(normalized);
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view input) const {
  const Impl& t = *impl_;
  std::string repaired;
  std::string_view text = input;
  if (!unicode::IsValidUtf8(input)) {
    unicode::AppendLossy(input, repaired, /*hold_incomplete_tail=*/false);
    text = repaired;
  }
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (t.raw_added.empty()) {
    t.EncodeSegment(text, out);
    return out;
  }
  std::vector<AddedSegment> segments;
  t.raw_added.Split(text, segments);
  for (const AddedSegment& s : segments) {
    if (s.id >= 0) {
      out.push_back(s.id);
    } else {
      t.EncodeSegment(s.text, out);
    }
  }
  return out;
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  const Impl& t = *impl_;
  if (const auto it = t.added_bytes.find(id); it != t.added_bytes.end()) return it->second;
  if (id >= 0 && static_cast<size_t>(id) < t.bpe.vocab_size()) return t.bpe.TokenBytes(id);
  return {};
}

Result<std::string> Tokenizer::DecodeChecked(std::span<const int32_t> ids) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (TokenBytes(ids[i]).empty()) {
      return OutOfRange("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                        " is not in the vocabulary (size " + std::to_string(impl_->size) + ")");
    }
  }
  return Decode(ids);
}

std::string Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::string bytes;
  for (int32_t id : ids) bytes += TokenBytes(id);
  return ToValidUtf8(bytes);
}

std::optional<int32_t> Tokenizer::FindToken(std::string_view text) const {
  if (const auto it = impl_->added_ids.find(std::string(text)); it != impl_->added_ids.end()) return it->second;
  return impl_->bpe.Find(text);
}

int32_t Tokenizer::size() const { return impl_->size; }

std::string ToValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  unicode::AppendLossy(bytes, out, /*hold_incomplete_tail=*/false);
  return out;
}

std::string StreamingDecoder::Push(int32_t id) {
  pending_ += tokenizer_->TokenBytes(id);
  std::string ready;
  const size_t used = unicode::AppendLossy(pending_, ready, /*hold_incomplete_tail=*/true);
  pending_.erase(0, used);
  return ready;
}

std::string StreamingDecoder::Flush() {
  std::string rest = ToValidUtf8(pending_);
  pending_.clear();
  return rest;
}

}  // namespace edgert
