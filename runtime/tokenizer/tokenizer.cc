// runtime/tokenizer/tokenizer.cc
#include "runtime/tokenizer/tokenizer.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "runtime/tokenizer/bpe.h"
#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/unicode.h"

namespace edgert {

struct Tokenizer::Impl {
  Bpe bpe;
  PreTokenizer pre;
  bool nfc = false;
  std::vector<AddedTokenSpec> added;           // longest first, for matching
  std::unordered_map<int32_t, std::string> added_text;
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

  void EncodeText(std::string_view text, std::vector<int32_t>& out) const {
    if (text.empty()) return;
    thread_local std::vector<std::string_view> words;
    words.clear();
    if (nfc && !unicode::IsAscii(text)) {
      const std::string normalized = unicode::Nfc(text);
      pre.Split(normalized, words);
      for (std::string_view w : words) EncodeWord(w, out);
      return;
    }
    pre.Split(text, words);
    for (std::string_view w : words) EncodeWord(w, out);
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
  impl->added = spec.added_tokens;
  std::stable_sort(impl->added.begin(), impl->added.end(),
                   [](const AddedTokenSpec& a, const AddedTokenSpec& b) { return a.content.size() > b.content.size(); });
  impl->size = static_cast<int32_t>(spec.vocab.size());
  for (const AddedTokenSpec& a : spec.added_tokens) {
    if (a.content.empty()) return InvalidArgument("added token " + std::to_string(a.id) + " is empty");
    impl->added_text[a.id] = a.content;
    impl->size = std::max(impl->size, a.id + 1);
  }
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  const Impl& t = *impl_;
  size_t pos = 0;
  while (pos < text.size()) {
    // The leftmost added token; at equal positions the longest (sorted first).
    size_t best = std::string_view::npos;
    const AddedTokenSpec* match = nullptr;
    for (const AddedTokenSpec& a : t.added) {
      const size_t at = text.find(a.content, pos);
      if (at < best) {
        best = at;
        match = &a;
      }
    }
    if (match == nullptr) {
      t.EncodeText(text.substr(pos), out);
      break;
    }
    size_t begin = best, end = best + match->content.size();
    if (match->lstrip) {
      while (begin > pos && unicode::Classify(static_cast<unsigned char>(text[begin - 1])) & unicode::kWhitespace) --begin;
    }
    if (match->rstrip) {
      while (end < text.size() && unicode::Classify(static_cast<unsigned char>(text[end])) & unicode::kWhitespace) ++end;
    }
    t.EncodeText(text.substr(pos, begin - pos), out);
    out.push_back(match->id);
    pos = end;
  }
  return out;
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  const Impl& t = *impl_;
  if (const auto it = t.added_text.find(id); it != t.added_text.end()) return it->second;
  if (id >= 0 && static_cast<size_t>(id) < t.bpe.vocab_size()) return t.bpe.TokenBytes(id);
  return {};
}

Result<std::string> Tokenizer::DecodeChecked(std::span<const int32_t> ids) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= impl_->size || (TokenBytes(ids[i]).empty())) {
      return OutOfRange("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                        " is not in the vocabulary");
    }
    bytes += TokenBytes(ids[i]);
  }
  return ToValidUtf8(bytes);
}

std::string Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::string bytes;
  for (int32_t id : ids) bytes += TokenBytes(id);
  return ToValidUtf8(bytes);
}

std::optional<int32_t> Tokenizer::FindToken(std::string_view text) const {
  for (const AddedTokenSpec& a : impl_->added) {
    if (a.content == text) return a.id;
  }
  return impl_->bpe.Find(text);
}

int32_t Tokenizer::size() const { return impl_->size; }

std::string ToValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    size_t len;
    const char32_t c = unicode::Decode(bytes, i, &len);
    if (c == unicode::kReplacement && len == 1 && static_cast<unsigned char>(bytes[i]) >= 0x80) {
      unicode::AppendUtf8(unicode::kReplacement, out);
    } else {
      out.append(bytes.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string StreamingDecoder::Push(int32_t id) {
  pending_ += tokenizer_->TokenBytes(id);
  // Emit up to the last character boundary; keep an incomplete tail (at most 3 bytes).
  size_t cut = pending_.size();
  for (size_t back = 1; back <= 3 && back <= pending_.size(); ++back) {
    const auto b = static_cast<unsigned char>(pending_[pending_.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = 1;
    if ((b & 0xE0) == 0xC0) need = 2;
    else if ((b & 0xF0) == 0xE0) need = 3;
    else if ((b & 0xF8) == 0xF0) need = 4;
    if (need > back) cut = pending_.size() - back;  // the lead byte's character is not complete yet
    break;
  }
  std::string ready = ToValidUtf8(std::string_view(pending_).substr(0, cut));
  pending_.erase(0, cut);
  return ready;
}

std::string StreamingDecoder::Flush() {
  std::string rest = ToValidUtf8(pending_);
  pending_.clear();
  return rest;
}

}  // namespace edgert
