// runtime/grammar/grammar.cc: the whole-grammar checks (undefined rules, no
// root, rules that never finish, left recursion) and the flat form the
// matcher runs.
#include "runtime/grammar/grammar.h"

#include <algorithm>
#include <queue>

#include "runtime/grammar/gbnf_parser.h"

namespace edgert {
namespace grammar_internal {
namespace {

std::string Where(std::string_view source, int line, int col) {
  return std::string(source) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

uint32_t AddSat(uint32_t a, uint32_t b) {
  return (a == kNeverFinishes || b == kNeverFinishes || a + b < a) ? kNeverFinishes : a + b;
}

// Fewest bytes of each rule (kNeverFinishes when it has no finite
// derivation), by Knuth's generalisation of Dijkstra's algorithm: a rule's
// value is final when it is the smallest among the alternatives whose rules
// are all final, since a sum never falls below its parts. Each alternative is
// visited once per symbol, so a chain of 100,000 rules costs no more than
// 100,000 rules side by side.
std::vector<uint32_t> MinBytes(const ParsedGrammar& g) {
  const size_t n = g.rules.size();
  struct Alternative {
    uint32_t rule;
    uint32_t pending;  // rule symbols whose value is not final yet
    uint32_t bytes;    // the sum so far
  };
  std::vector<Alternative> alts;
  std::vector<std::vector<uint32_t>> used_by(n);  // rule -> the alternatives naming it, once per mention
  using Candidate = std::pair<uint32_t, uint32_t>;  // (bytes, rule)
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> ready;
  for (size_t r = 0; r < n; ++r) {
    for (const auto& alt : g.rules[r].alternatives) {
      const auto index = static_cast<uint32_t>(alts.size());
      Alternative a{static_cast<uint32_t>(r), 0, 0};
      for (Symbol s : alt) {
        if (s.is_rule) {
          ++a.pending;
          used_by[s.value].push_back(index);
        } else {
          a.bytes = AddSat(a.bytes, 1);
        }
      }
      if (a.pending == 0) ready.emplace(a.bytes, a.rule);
      alts.push_back(a);
    }
  }
  std::vector<uint32_t> min(n, kNeverFinishes);
  std::vector<bool> final(n, false);
  while (!ready.empty()) {
    const auto [bytes, r] = ready.top();
    ready.pop();
    if (final[r]) continue;
    final[r] = true;
    min[r] = bytes;
    for (uint32_t index : used_by[r]) {
      Alternative& a = alts[index];
      a.bytes = AddSat(a.bytes, bytes);
      if (--a.pending == 0 && !final[a.rule]) ready.emplace(a.bytes, a.rule);
    }
  }
  return min;
}

std::string Describe(const ParsedRule& r) {
  if (!r.generated) return "rule '" + r.name + "'";
  return "the group, repetition or class at line " + std::to_string(r.line) + " column " + std::to_string(r.column) +
         " (in rule '" + r.name.substr(0, r.name.find('~')) + "')";
}

// Left recursion: a rule reachable from itself at the left edge, through
// symbols that can match nothing. The matcher expands the left edge eagerly,
// so such a rule would expand forever.
Status CheckLeftRecursion(const ParsedGrammar& g, const std::vector<uint32_t>& min, std::string_view source) {
  const size_t n = g.rules.size();
  std::vector<std::vector<uint32_t>> left(n);
  for (size_t r = 0; r < n; ++r) {
    for (const auto& alt : g.rules[r].alternatives) {
      for (Symbol s : alt) {
        if (!s.is_rule) break;
        left[r].push_back(s.value);
        if (min[s.value] != 0) break;
      }
    }
  }
  // Depth-first with an explicit stack (a chain of rules is as deep as it is
  // long, far beyond what the call stack holds).
  std::vector<int> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::vector<uint32_t> path;
  std::vector<size_t> next_edge;  // [path.size()] the next entry of left[path[i]] to follow
  auto report = [&](uint32_t s) {
    auto at = std::find(path.begin(), path.end(), s);
    std::vector<std::string_view> names;
    for (auto it = at; it != path.end(); ++it) {
      if (!g.rules[*it].generated) names.push_back(g.rules[*it].name);
    }
    // A long cycle is shown by its ends: the message stays one line.
    constexpr size_t kShown = 8;
    std::string cycle;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names.size() > kShown && i == kShown / 2) {
        cycle += "... (" + std::to_string(names.size() - kShown) + " more) -> ";
        i = names.size() - kShown / 2;
      }
      cycle += std::string(names[i]) + " -> ";
    }
    cycle += g.rules[s].name.substr(0, g.rules[s].name.find('~'));
    // Report the first hand-written rule of the cycle, else the construct.
    const ParsedRule* where = &g.rules[s];
    for (auto it = at; it != path.end(); ++it) {
      if (!g.rules[*it].generated) {
        where = &g.rules[*it];
        break;
      }
    }
    if (where->generated) {
      return InvalidArgument(Where(source, where->line, where->column) +
                             "this repetition can repeat an empty match (left recursion), so it could never "
                             "be matched: make the repeated part non-empty");
    }
    return InvalidArgument(Where(source, where->line, where->column) + Describe(*where) + " is left-recursive (" +
                           cycle +
                           "), which this matcher cannot run: rewrite it with repetition, e.g. "
                           "list ::= item (\",\" item)*");
  };
  for (uint32_t root = 0; root < n; ++root) {
    if (color[root] != 0) continue;
    color[root] = 1;
    path.assign(1, root);
    next_edge.assign(1, 0);
    while (!path.empty()) {
      const uint32_t r = path.back();
      if (next_edge.back() == left[r].size()) {
        color[r] = 2;
        path.pop_back();
        next_edge.pop_back();
        continue;
      }
      const uint32_t s = left[r][next_edge.back()++];
      if (color[s] == 1) return report(s);
      if (color[s] == 0) {
        color[s] = 1;
        path.push_back(s);
        next_edge.push_back(0);
      }
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::shared_ptr<const Grammar>> Compile(std::string_view text, std::string_view source, std::string_view start) {
  EDGERT_ASSIGN_OR_RETURN(ParsedGrammar g, ParseGbnf(text, source));
  for (const ParsedRule& r : g.rules) {
    if (!r.defined) {
      return InvalidArgument(Where(source, r.ref_line, r.ref_column) + "undefined rule '" + r.name + "'");
    }
  }
  uint32_t start_rule = 0;
  {
    auto it = std::find_if(g.rules.begin(), g.rules.end(), [&](const ParsedRule& r) { return r.name == start; });
    if (it == g.rules.end()) {
      return InvalidArgument(std::string(source) + ": expected a rule named '" + std::string(start) +
                             "' (where matching starts)");
    }
    start_rule = static_cast<uint32_t>(it - g.rules.begin());
  }
  const std::vector<uint32_t> min = MinBytes(g);
  // Every rule a text can reach must be able to finish: a constrained
  // generation that entered one could never end.
  std::vector<bool> reachable(g.rules.size(), false);
  std::vector<uint32_t> todo = {start_rule};
  reachable[start_rule] = true;
  while (!todo.empty()) {
    const uint32_t r = todo.back();
    todo.pop_back();
    for (const auto& alt : g.rules[r].alternatives) {
      for (Symbol s : alt) {
        if (s.is_rule && !reachable[s.value]) {
          reachable[s.value] = true;
          todo.push_back(s.value);
        }
      }
    }
  }
  if (min[start_rule] == kNeverFinishes) {
    const ParsedRule& r = g.rules[start_rule];
    return InvalidArgument(Where(source, r.line, r.column) + "the grammar can never finish: rule '" + r.name +
                           "' has no finite derivation (every alternative needs a rule that recurses forever or a "
                           "class that matches no character)");
  }
  for (size_t i = 0; i < g.rules.size(); ++i) {
    if (reachable[i] && min[i] == kNeverFinishes) {
      const ParsedRule& r = g.rules[i];
      return InvalidArgument(Where(source, r.line, r.column) + Describe(r) +
                             " can never finish: it has no finite derivation (every alternative needs a rule that "
                             "recurses forever or a class that matches no character)");
    }
  }
  EDGERT_RETURN_IF_ERROR(CheckLeftRecursion(g, min, source));

  auto out = std::make_shared<Grammar>();
  out->source_name = std::string(source);
  out->byte_sets = std::move(g.byte_sets);
  out->start_rule = start_rule;
  for (size_t r = 0; r < g.rules.size(); ++r) {
    GrammarRule rule;
    rule.name = g.rules[r].name;
    rule.line = g.rules[r].line;
    rule.column = g.rules[r].column;
    rule.min_bytes = min[r];
    for (const auto& alt : g.rules[r].alternatives) {
      rule.alternatives.push_back(static_cast<uint32_t>(out->elements.size()));
      for (Symbol s : alt) {
        out->elements.push_back({s.is_rule ? GrammarElement::kRule : GrammarElement::kBytes, s.value});
      }
      out->elements.push_back({GrammarElement::kEnd, 0});
    }
    out->rules.push_back(std::move(rule));
  }
  out->rest_min_bytes.assign(out->elements.size(), 0);
  for (size_t i = out->elements.size(); i-- > 0;) {
    const GrammarElement& e = out->elements[i];
    if (e.kind == GrammarElement::kEnd) continue;
    const uint32_t here = e.kind == GrammarElement::kBytes ? 1 : min[e.value];
    out->rest_min_bytes[i] = AddSat(here, out->rest_min_bytes[i + 1]);
  }
  return std::shared_ptr<const Grammar>(std::move(out));
}

}  // namespace grammar_internal

Status CheckTokenBudget(const Grammar& grammar, int64_t max_tokens) {
  const uint32_t need = grammar.min_bytes();
  if (max_tokens >= 0 && static_cast<uint64_t>(max_tokens) >= need) return OkStatus();
  return InvalidArgument("too few tokens for the grammar " + grammar.source_name + ": its shortest text is " +
                         std::to_string(need) + " bytes, so at least " + std::to_string(need) +
                         " tokens always finish one (a token may be a single byte)");
}

Result<std::shared_ptr<const Grammar>> CompileGrammar(std::string_view gbnf_text, std::string_view source_name) {
  return grammar_internal::Compile(gbnf_text, source_name, "root");
}

}  // namespace edgert
