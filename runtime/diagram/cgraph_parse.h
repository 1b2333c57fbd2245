// runtime/diagram/cgraph_parse.h (internal to runtime/diagram): one parse of a
// DOT text by cgraph, with the library's process-global state made safe.
//
// cgraph keeps its error hook, error level, line counter and flex buffer in
// globals: a parse holds a process-wide lock for its whole life, resets them
// first (without the reset, one syntax error made every later text look
// empty) and collects the messages the parser prints.
#pragma once

#include <graphviz/cgraph.h>

#include <mutex>
#include <string>
#include <string_view>

namespace edgert::diagram {

class CgraphParse {
 public:
  explicit CgraphParse(std::string_view text);  // parses at once
  ~CgraphParse();                               // closes the graph, releases the lock
  CgraphParse(const CgraphParse&) = delete;
  CgraphParse& operator=(const CgraphParse&) = delete;

  // The graph when it parsed without an error, else null. Owned by this object.
  Agraph_t* graph() const { return errors_ == 0 ? graph_ : nullptr; }
  const std::string& messages() const { return messages_; }  // the parser's, as printed

 private:
  std::unique_lock<std::mutex> lock_;
  std::string messages_;
  Agraph_t* graph_ = nullptr;
  int errors_ = 0;
};

}  // namespace edgert::diagram
