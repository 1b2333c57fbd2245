// runtime/grammar/grammar.cc: the whole-grammar checks (undefined rules, no
// root, rules that never finish, left recursion) and the flat form the
// matcher runs.
#include "runtime/grammar/grammar.h"

#include <algorithm>

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

// Fewest bytes of each rule, by relaxation to the fixed point (a rule with no
// finite derivation keeps kNeverFinishes).
std::vector<uint32_t> MinBytes(const ParsedGrammar& g) {
  std::vector<uint32_t> min(g.rules.size(), kNeverFinishes);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < g.rules.size(); ++r) {
      for (const auto& alt : g.rules[r].alternatives) {
        uint32_t n = 0;
        for (Symbol s : alt) n = AddSat(n, s.is_rule ? min[s.value] : 1);
        if (n < min[r]) {
          min[r] = n;
          changed = true;
        }
      }
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
  std::vector<int> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::vector<uint32_t> path;
  Status found;
  auto dfs = [&](auto&& self, uint32_t r) -> bool {
    color[r] = 1;
    path.push_back(r);
    for (uint32_t s : left[r]) {
      if (color[s] == 1) {
        auto at = std::find(path.begin(), path.end(), s);
        std::string cycle;
        for (auto it = at; it != path.end(); ++it) {
          if (!g.rules[*it].generated) cycle += g.rules[*it].name + " -> ";
        }
        cycle += g.rules[s].name.substr(0, g.rules[s].name.find('~'));
        // Report the first hand-written rule of the cycle, else the construct.
        const ParsedRule* report = &g.rules[s];
        for (auto it = at; it != path.end(); ++it) {
          if (!g.rules[*it].generated) {
            report = &g.rules[*it];
            break;
          }
        }
        if (report->generated) {
          found = InvalidArgument(Where(source, report->line, report->column) +
                                  "this repetition can repeat an empty match (left recursion), so it could never "
                                  "be matched: make the repeated part non-empty");
        } else {
          found = InvalidArgument(Where(source, report->line, report->column) + Describe(*report) +
                                  " is left-recursive (" + cycle +
                                  "), which this matcher cannot run: rewrite it with repetition, e.g. "
                                  "list ::= item (\",\" item)*");
        }
        return true;
      }
      if (color[s] == 0 && self(self, s)) return true;
    }
    path.pop_back();
    color[r] = 2;
    return false;
  };
  for (uint32_t r = 0; r < n; ++r) {
    if (color[r] == 0 && dfs(dfs, r)) return found;
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

Result<std::shared_ptr<const Grammar>> CompileGrammar(std::string_view gbnf_text, std::string_view source_name) {
  return grammar_internal::Compile(gbnf_text, source_name, "root");
}

}  // namespace edgert
