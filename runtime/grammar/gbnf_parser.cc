// runtime/grammar/gbnf_parser.cc: a recursive-descent parser for GBNF.
#include "runtime/grammar/gbnf_parser.h"

#include <algorithm>
#include <map>
#include <optional>

#include "runtime/grammar/utf8_ranges.h"

namespace edgert::grammar_internal {
namespace {

constexpr int kMaxRepeat = 1000;  // {m,n} bounds beyond this are refused: the rules are copied
constexpr int kMaxDepth = 200;    // nested groups: the parser recurses once per level

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string Printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == '\n') return "end of line";
  if (u < 0x20 || u >= 0x7F) {
    static const char* kHex = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
  }
  return std::string("'") + c + "'";
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<ParsedGrammar> Run() {
    SkipSpace(true);
    while (!AtEnd() && ok_) {
      ParseRule();
      if (!ok_) break;
      SkipSpace(false);
      if (!AtEnd() && Peek() != '\n') {
        Fail(pos_, "expected a rule element, '|' or the end of the line, got " + Printable(Peek()));
        break;
      }
      SkipSpace(true);
    }
    if (!ok_) return error_;
    return std::move(out_);
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  // Every rule records where it is, so this must not rescan the text: the line
  // is a binary search, the column counts on from the last position asked
  // about when that was earlier on the same line (the common case).
  void LineCol(size_t at, int& line, int& col) {
    at = std::min(at, text_.size());
    const auto next_line = std::upper_bound(line_starts_.begin(), line_starts_.end(), at);
    const size_t line_index = static_cast<size_t>(next_line - line_starts_.begin()) - 1;
    size_t from = line_starts_[line_index];
    int column = 1;
    if (last_line_ == line_index && last_at_ <= at && last_at_ >= from) {
      from = last_at_;
      column = last_column_;
    }
    for (size_t i = from; i < at; ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
    last_line_ = line_index;
    last_at_ = at;
    last_column_ = column;
    line = static_cast<int>(std::min<size_t>(line_index + 1, INT32_MAX));
    col = column;
  }

  // Every symbol made counts against kMaxGrammarSymbols (those a repetition
  // moves into a rule count twice: the bound only needs to be safe), checked
  // before copies are made so a huge repetition never allocates.
  bool Count(size_t symbols, size_t at) {
    if (symbols > kMaxGrammarSymbols - symbols_made_) {
      Fail(at, "the grammar is too large: more than " + std::to_string(kMaxGrammarSymbols) +
                   " symbols once repetitions and character classes are expanded (the limit; each {m,n} copies "
                   "what it repeats n times)");
      return false;
    }
    symbols_made_ += symbols;
    return true;
  }

  void Fail(size_t at, const std::string& what) {
    if (!ok_) return;
    ok_ = false;
    int line, col;
    LineCol(at, line, col);
    error_ = InvalidArgument(std::string(source_) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                             what);
  }

  // Spaces, tabs, carriage returns and comments; newlines too when `newlines`.
  void SkipSpace(bool newlines) {
    while (!AtEnd()) {
      const char c = Peek();
      if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++pos_;
      } else if (c == '#') {
        while (!AtEnd() && Peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  uint32_t RuleIndex(const std::string& name, size_t at) {
    auto it = names_.find(name);
    if (it != names_.end()) return it->second;
    ParsedRule r;
    r.name = name;
    LineCol(at, r.ref_line, r.ref_column);
    out_.rules.push_back(std::move(r));
    const auto id = static_cast<uint32_t>(out_.rules.size() - 1);
    names_[name] = id;
    return id;
  }

  uint32_t NewRule(const std::string& base, size_t at) {
    std::string name;
    do {
      name = base + "~" + std::to_string(++generated_count_);  // "~" is not a name character: no clash
    } while (names_.count(name) != 0);
    const uint32_t id = RuleIndex(name, at);
    ParsedRule& r = out_.rules[id];
    r.defined = true;
    r.generated = true;
    LineCol(at, r.line, r.column);
    return id;
  }

  uint32_t ByteSetIndex(const ByteSet& s) {
    for (size_t i = 0; i < out_.byte_sets.size(); ++i) {
      if (out_.byte_sets[i].bits == s.bits) return static_cast<uint32_t>(i);
    }
    out_.byte_sets.push_back(s);
    return static_cast<uint32_t>(out_.byte_sets.size() - 1);
  }

  Symbol ByteSymbol(uint8_t lo, uint8_t hi) {
    ByteSet s;
    s.AddRange(lo, hi);
    return {false, ByteSetIndex(s)};
  }

  std::string ParseName() {
    const size_t start = pos_;
    while (!AtEnd() && IsNameChar(Peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  void ParseRule() {
    const size_t at = pos_;
    if (!IsNameChar(Peek())) return Fail(pos_, "expected a rule name, got " + Printable(Peek()));
    const std::string name = ParseName();
    SkipSpace(false);
    if (text_.substr(pos_, 3) != "::=") {
      return Fail(pos_, "expected '::=' after the rule name '" + name + "'" +
                            (AtEnd() ? std::string(", got the end of the file") : ", got " + Printable(Peek())));
    }
    pos_ += 3;
    SkipSpace(true);
    const uint32_t id = RuleIndex(name, at);
    if (out_.rules[id].defined) {
      return Fail(at, "rule '" + name + "' is defined twice (first at line " + std::to_string(out_.rules[id].line) +
                          ")");
    }
    out_.rules[id].defined = true;
    LineCol(at, out_.rules[id].line, out_.rules[id].column);
    current_ = name;
    auto alts = ParseAlternates(false);
    out_.rules[id].alternatives = std::move(alts);
  }

  std::vector<std::vector<Symbol>> ParseAlternates(bool nested) {
    std::vector<std::vector<Symbol>> alts;
    alts.push_back(ParseSequence(nested));
    while (ok_) {
      SkipSpace(nested);
      if (Peek() == '|') {
        ++pos_;
        SkipSpace(true);
        alts.push_back(ParseSequence(nested));
        continue;
      }
      if (!nested && Peek() == '\n') {
        // A rule may go on with '|' at the start of a following line.
        const size_t save = pos_;
        SkipSpace(true);
        if (Peek() == '|') continue;
        pos_ = save;
      }
      break;
    }
    return alts;
  }

  // One character of a literal or class, escapes decoded; nullopt after Fail.
  std::optional<uint32_t> ParseChar(char terminator) {
    const size_t at = pos_;
    if (AtEnd()) {
      Fail(at, terminator == '"' ? "expected '\"' to close the string" : "expected ']' to close the character class");
      return std::nullopt;
    }
    const auto c = static_cast<unsigned char>(Peek());
    if (c == '\\') {
      ++pos_;
      const char e = Peek();
      ++pos_;
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case '\\': return '\\';
        case '"': return '"';
        case '\'': return '\'';
        case '[': return '[';
        case ']': return ']';
        case '-': return '-';
        case '^': return '^';
        case '/': return '/';
        case 'x': return ParseHex(2, at);
        case 'u': return ParseHex(4, at);
        case 'U': return ParseHex(8, at);
        default:
          Fail(at, "expected an escape (\\n \\r \\t \\\\ \\\" \\[ \\] \\xHH \\uHHHH \\UHHHHHHHH), got '\\" +
                       std::string(e == '\0' ? "" : std::string(1, e)) + "'");
          return std::nullopt;
      }
    }
    if (c == '\n') {
      Fail(at, terminator == '"' ? "expected '\"' to close the string before the end of the line"
                                 : "expected ']' to close the character class before the end of the line");
      return std::nullopt;
    }
    // A UTF-8 character of the grammar text itself.
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > text_.size()) {
      Fail(at, "expected UTF-8 text, got an invalid byte");
      return std::nullopt;
    }
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int i = 1; i < len; ++i) {
      const auto b = static_cast<unsigned char>(text_[pos_ + i]);
      if ((b & 0xC0) != 0x80) {
        Fail(at, "expected UTF-8 text, got an invalid byte");
        return std::nullopt;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    pos_ += len;
    return cp;
  }

  std::optional<uint32_t> ParseHex(int digits, size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const char h = Peek();
      int d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
      if (d < 0) {
        Fail(pos_, "expected " + std::to_string(digits) + " hexadecimal digits in the escape");
        return std::nullopt;
      }
      v = v * 16 + static_cast<uint32_t>(d);
      ++pos_;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
      Fail(at, "expected a Unicode scalar value in the escape (not a surrogate, at most \\U0010FFFF)");
      return std::nullopt;
    }
    return v;
  }

  // The symbols matching exactly the code points of `ranges`: one byte set
  // when they are all ASCII, else a generated rule of UTF-8 byte sequences.
  std::vector<Symbol> ClassSymbols(const std::vector<CodePointRange>& ranges, size_t at) {
    const auto seqs = Utf8Sequences(ranges);
    size_t symbols = 1;
    for (const auto& s : seqs) symbols += s.size();
    if (!Count(symbols, at)) return {};
    bool single = true;
    for (const auto& s : seqs) single = single && s.size() == 1;
    if (single && !seqs.empty()) {
      ByteSet set;
      for (const auto& s : seqs) set.AddRange(s[0].lo, s[0].hi);
      return {{false, ByteSetIndex(set)}};
    }
    const uint32_t id = NewRule(current_, at);
    std::vector<std::vector<Symbol>> alts;  // empty when no character matches: the rule never finishes
    // ASCII first, as one set: the common case stays one stack.
    ByteSet ascii;
    for (const auto& s : seqs) {
      if (s.size() == 1) ascii.AddRange(s[0].lo, s[0].hi);
    }
    if (!ascii.Empty()) alts.push_back({{false, ByteSetIndex(ascii)}});
    for (const auto& s : seqs) {
      if (s.size() == 1) continue;
      std::vector<Symbol> seq;
      for (ByteRange r : s) seq.push_back(ByteSymbol(r.lo, r.hi));
      alts.push_back(std::move(seq));
    }
    out_.rules[id].alternatives = std::move(alts);
    return {{true, id}};
  }

  void AppendCodePoint(uint32_t cp, std::vector<Symbol>& seq, size_t at) {
    uint8_t b[4];
    const int n = EncodeUtf8(cp, b);
    if (!Count(static_cast<size_t>(n), at)) return;
    for (int i = 0; i < n; ++i) seq.push_back(ByteSymbol(b[i], b[i]));
  }

  std::vector<Symbol> ParseSequence(bool nested) {
    std::vector<Symbol> seq;
    size_t last_start = 0;  // where the last item's symbols begin (what a postfix applies to)
    bool have_item = false;
    while (ok_) {
      SkipSpace(nested);
      const size_t at = pos_;
      const char c = Peek();
      if (AtEnd()) break;
      if (c == '"') {
        ++pos_;
        last_start = seq.size();
        while (ok_ && Peek() != '"') {
          auto cp = ParseChar('"');
          if (cp) AppendCodePoint(*cp, seq, at);
        }
        if (!ok_) break;
        ++pos_;
        have_item = seq.size() > last_start;
      } else if (c == '[') {
        ++pos_;
        bool negate = false;
        if (Peek() == '^') {
          negate = true;
          ++pos_;
        }
        std::vector<CodePointRange> ranges;
        while (ok_ && Peek() != ']') {
          auto lo = ParseChar(']');
          if (!lo) break;
          uint32_t hi = *lo;
          if (Peek() == '-' && Peek(1) != ']' && pos_ + 1 < text_.size()) {
            ++pos_;
            auto h = ParseChar(']');
            if (!h) break;
            hi = *h;
            if (hi < *lo) Fail(at, "expected a range low-high, got one whose end is below its start");
          }
          ranges.push_back({*lo, hi});
        }
        if (!ok_) break;
        ++pos_;
        last_start = seq.size();
        for (Symbol s : ClassSymbols(NormalizeRanges(std::move(ranges), negate), at)) seq.push_back(s);
        have_item = true;
      } else if (c == '.') {
        ++pos_;
        last_start = seq.size();
        for (Symbol s : ClassSymbols(NormalizeRanges({}, true), at)) seq.push_back(s);
        have_item = true;
      } else if (IsNameChar(c)) {
        const std::string name = ParseName();
        const size_t after = pos_;
        SkipSpace(false);
        if (text_.substr(pos_, 3) == "::=") {
          Fail(at, "expected a new rule to start on its own line ('" + name + " ::=' follows other text)");
          break;
        }
        pos_ = after;
        if (!Count(1, at)) break;
        last_start = seq.size();
        seq.push_back({true, RuleIndex(name, at)});
        have_item = true;
      } else if (c == '(') {
        if (depth_ == kMaxDepth) {
          Fail(at, "expected groups nested at most " + std::to_string(kMaxDepth) + " deep");
          break;
        }
        ++pos_;
        SkipSpace(true);
        const uint32_t id = NewRule(current_, at);
        ++depth_;
        auto alts = ParseAlternates(true);
        --depth_;
        if (!ok_) break;
        SkipSpace(true);
        if (Peek() != ')') {
          int line, col;
          LineCol(at, line, col);
          Fail(pos_, "expected ')' to close the group opened at line " + std::to_string(line) + " column " +
                         std::to_string(col) + (AtEnd() ? std::string(", got the end of the file") : ", got " + Printable(Peek())));
          break;
        }
        ++pos_;
        if (!Count(1, at)) break;
        out_.rules[id].alternatives = std::move(alts);
        last_start = seq.size();
        seq.push_back({true, id});
        have_item = true;
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (!have_item) {
          Fail(at, std::string("expected an item before '") + c + "'");
          break;
        }
        ++pos_;
        int min = 0, max = -1;  // max -1: unbounded
        if (c == '+') min = 1;
        if (c == '?') max = 1;
        if (c == '{' && !ParseBounds(at, min, max)) break;
        if (!ApplyRepetition(seq, last_start, min, max, at)) break;
        have_item = false;
      } else {
        break;
      }
    }
    return seq;
  }

  bool ParseBounds(size_t at, int& min, int& max) {
    auto number = [&](int& v) {
      if (!(Peek() >= '0' && Peek() <= '9')) return false;
      v = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        v = v * 10 + (Peek() - '0');
        if (v > kMaxRepeat) {
          Fail(at, "expected a repetition count of at most " + std::to_string(kMaxRepeat));
          return false;
        }
        ++pos_;
      }
      return true;
    };
    SkipSpace(false);
    const bool has_min = number(min);
    if (!ok_) return false;
    if (!has_min) min = 0;
    SkipSpace(false);
    if (Peek() == '}') {
      if (!has_min) {
        Fail(pos_, "expected a count in {m}, {m,}, {m,n} or {,n}");
        return false;
      }
      ++pos_;
      max = min;
      return true;
    }
    if (Peek() != ',') {
      Fail(pos_, "expected ',' or '}' in the repetition bounds");
      return false;
    }
    ++pos_;
    SkipSpace(false);
    const bool has_max = number(max);
    if (!ok_) return false;
    if (!has_max) max = -1;
    SkipSpace(false);
    if (Peek() != '}') {
      Fail(pos_, "expected '}' to close the repetition bounds");
      return false;
    }
    ++pos_;
    if (has_max && max < min) {
      Fail(at, "expected {m,n} with m <= n");
      return false;
    }
    return true;
  }

  // seq[last_start..] repeated min..max times (max -1: unbounded), as rules:
  // x* is R ::= x R | "", x{0,n} nests optional rules, so the matcher's
  // stacks stay flat (the reference to R is the last element: a tail call).
  bool ApplyRepetition(std::vector<Symbol>& seq, size_t last_start, int min, int max, size_t at) {
    std::vector<Symbol> item(seq.begin() + static_cast<std::ptrdiff_t>(last_start), seq.end());
    const size_t copy = std::min<size_t>(item.size(), 1);  // a longer item becomes one rule reference
    const size_t copies = static_cast<size_t>(min) + (max < 0 ? 1 : static_cast<size_t>(max - min));
    if (!Count(copies * (copy + 1) + 1, at)) return false;
    seq.resize(last_start);
    if (item.size() > 1) {
      const uint32_t id = NewRule(current_, at);
      out_.rules[id].alternatives = {item};
      item = {{true, id}};
    }
    for (int i = 0; i < min; ++i) seq.insert(seq.end(), item.begin(), item.end());
    if (max < 0) {
      const uint32_t id = NewRule(current_, at);
      std::vector<Symbol> rec = item;
      rec.push_back({true, id});
      out_.rules[id].alternatives = {rec, {}};
      seq.push_back({true, id});
      return true;
    }
    std::optional<Symbol> tail;  // x (x (x)?)? built from the inside out
    for (int i = 0; i < max - min; ++i) {
      const uint32_t id = NewRule(current_, at);
      std::vector<Symbol> alt = item;
      if (tail) alt.push_back(*tail);
      out_.rules[id].alternatives = {alt, {}};
      tail = Symbol{true, id};
    }
    if (tail) seq.push_back(*tail);
    return true;
  }

  std::string_view text_;
  std::string_view source_;
  size_t pos_ = 0;
  bool ok_ = true;
  Status error_;
  ParsedGrammar out_;
  std::map<std::string, uint32_t> names_;
  std::string current_;  // the rule being defined, which names generated rules
  int generated_count_ = 0;
  int depth_ = 0;  // open groups
  std::vector<size_t> line_starts_;  // offset of each line's first byte
  size_t last_line_ = SIZE_MAX, last_at_ = 0;  // LineCol's last answer, to count on from
  int last_column_ = 1;
  size_t symbols_made_ = 0;
};

}  // namespace

Result<ParsedGrammar> ParseGbnf(std::string_view text, std::string_view source_name) {
  return Parser(text, source_name).Run();
}

}  // namespace edgert::grammar_internal
