// runtime/tokenizer/bpe.cc
#include "runtime/tokenizer/bpe.h"

#include <algorithm>
#include <queue>

#include "runtime/tokenizer/unicode.h"

namespace edgert {
namespace {

// GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
// rest to U+0100 onwards, in byte order.
std::vector<char32_t> ByteToCodepoint() {
  std::vector<char32_t> map(256, 0);
  std::vector<bool> direct(256, false);
  for (int b = '!'; b <= '~'; ++b) direct[static_cast<size_t>(b)] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) direct[static_cast<size_t>(b)] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) direct[static_cast<size_t>(b)] = true;
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) map[static_cast<size_t>(b)] = direct[static_cast<size_t>(b)] ? static_cast<char32_t>(b) : next++;
  return map;
}

// The inverse: code point -> byte, -1 outside the alphabet (which ends at U+0143).
const std::vector<int16_t>& CodepointToByte() {
  static const std::vector<int16_t> table = [] {
    std::vector<int16_t> t(0x144, -1);
    const std::vector<char32_t> map = ByteToCodepoint();
    for (int b = 0; b < 256; ++b) t[map[static_cast<size_t>(b)]] = static_cast<int16_t>(b);
    return t;
  }();
  return table;
}

}  // namespace

std::string ByteLevelDecode(std::string_view text) {
  const std::vector<int16_t>& table = CodepointToByte();
  std::string bytes;
  bytes.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len;
    const char32_t c = unicode::Decode(text, i, &len);
    const bool invalid = c == unicode::kReplacement && len == 1;
    if (invalid || c >= table.size() || table[c] < 0) return std::string(text);
    bytes += static_cast<char>(table[c]);
    i += len;
  }
  return bytes;
}

Result<Bpe> Bpe::Create(const TokenizerSpec& spec) {
  Bpe bpe;
  const std::vector<char32_t> to_cp = ByteToCodepoint();
  bpe.byte_symbol_.resize(256);
  for (int b = 0; b < 256; ++b) {
    unicode::AppendUtf8(to_cp[static_cast<size_t>(b)], bpe.byte_symbol_[static_cast<size_t>(b)]);
  }
  bpe.vocab_.reserve(spec.vocab.size());
  bpe.token_bytes_.resize(spec.vocab.size());
  for (size_t id = 0; id < spec.vocab.size(); ++id) {
    const std::string& text = spec.vocab[id];
    if (text.empty()) continue;  // an id held by an added token
    bpe.vocab_.emplace(text, static_cast<int32_t>(id));
    bpe.token_bytes_[id] = ByteLevelDecode(text);
  }
  bpe.byte_id_.resize(256);
  for (int b = 0; b < 256; ++b) {
    const auto it = bpe.vocab_.find(bpe.byte_symbol_[static_cast<size_t>(b)]);
    if (it == bpe.vocab_.end()) return InvalidArgument("vocabulary lacks the token for byte " + std::to_string(b));
    bpe.byte_id_[static_cast<size_t>(b)] = it->second;
  }
  bpe.merges_.reserve(spec.merges.size());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const std::string& m = spec.merges[rank];
    const size_t space = m.find(' ');
    const auto left = bpe.vocab_.find(m.substr(0, space));
    const auto right = bpe.vocab_.find(m.substr(space + 1));
    const auto merged = bpe.vocab_.find(m.substr(0, space) + m.substr(space + 1));
    if (left == bpe.vocab_.end() || right == bpe.vocab_.end() || merged == bpe.vocab_.end()) {
      return InvalidArgument("merge " + std::to_string(rank) + " '" + m + "' names a token not in the vocabulary");
    }
    const uint64_t key = static_cast<uint64_t>(static_cast<uint32_t>(left->second)) << 32 | static_cast<uint32_t>(right->second);
    bpe.merges_.emplace(key, Merge{static_cast<int32_t>(rank), merged->second});  // first (lowest) rank wins
  }
  return bpe;
}

std::optional<int32_t> Bpe::Find(std::string_view token_text) const {
  const auto it = vocab_.find(std::string(token_text));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void Bpe::Encode(std::string_view word, std::vector<int32_t>& out) const {
  const size_t n = word.size();
  if (n == 0) return;
  if (n == 1) {
    out.push_back(byte_id_[static_cast<uint8_t>(word[0])]);
    return;
  }
  // Symbols as a linked list over positions; a heap of candidate merges.
  thread_local std::vector<int32_t> id, prev, next;
  id.resize(n);
  prev.resize(n);
  next.resize(n);
  for (size_t i = 0; i < n; ++i) {
    id[i] = byte_id_[static_cast<uint8_t>(word[i])];
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  struct Candidate {
    int32_t rank, pos, left, right;  // left/right ids at push time: stale entries are skipped
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0) return;
    const int32_t nx = next[static_cast<size_t>(pos)];
    if (nx < 0) return;
    const uint64_t key = static_cast<uint64_t>(static_cast<uint32_t>(id[static_cast<size_t>(pos)])) << 32 |
                         static_cast<uint32_t>(id[static_cast<size_t>(nx)]);
    const auto it = merges_.find(key);
    if (it != merges_.end()) heap.push({it->second.rank, pos, id[static_cast<size_t>(pos)], id[static_cast<size_t>(nx)]});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(static_cast<int32_t>(i));
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const auto p = static_cast<size_t>(c.pos);
    const int32_t nx = next[p];
    if (id[p] != c.left || nx < 0 || id[static_cast<size_t>(nx)] != c.right) continue;  // stale
    const uint64_t key = static_cast<uint64_t>(static_cast<uint32_t>(c.left)) << 32 | static_cast<uint32_t>(c.right);
    id[p] = merges_.at(key).result;
    id[static_cast<size_t>(nx)] = -1;  // removed
    next[p] = next[static_cast<size_t>(nx)];
    if (next[p] >= 0) prev[static_cast<size_t>(next[p])] = c.pos;
    push(prev[p]);
    push(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = next[static_cast<size_t>(i)]) out.push_back(id[static_cast<size_t>(i)]);
}

}  // namespace edgert
