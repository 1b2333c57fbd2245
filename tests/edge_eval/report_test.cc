// edge-eval's outputs without a model: the text table, the JSON, the HTML
// report (escaping of everything a model or a file can put in it), the
// training-log reader and its loss curve.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tools/edge_eval/html_report.h"
#include "tools/edge_eval/html_text.h"
#include "tools/edge_eval/json_report.h"
#include "tools/edge_eval/loss_curve.h"
#include "tools/edge_eval/summary_table.h"
#include "tools/edge_eval/training_log.h"

namespace edgert::eval {
namespace {

Outcome Scored(const std::string& output) {
  Outcome o;
  o.output = output;
  o.result = *diagram::ClassifyOutput(diagram::DiagramFormat::kDot, output);
  o.tokens = 7;
  o.stop = "max tokens";
  return o;
}

// Base: 1 valid of 4; tuned: 3 valid of 4, one of them hostile.
Evaluation TwoRuns() {
  Evaluation e;
  e.settings.model = "m<1>.etm";
  e.settings.adapters = {"a.eta:0.5"};
  e.settings.prompts_file = "p.jsonl";
  e.settings.max_tokens = 64;
  for (int i = 0; i < 4; ++i) e.prompts.push_back({"draw <b>" + std::to_string(i) + "</b>", ""});
  Run base{"base", {}, {}}, tuned{"tuned", {}, {}};
  base.Add(Scored("digraph { a -> b }"));
  base.Add(Scored("digraph { a -> "));
  base.Add(Scored("digraph { a ) b }"));
  base.Add(Scored("<script>alert(1)</script>"));
  tuned.Add(Scored("digraph { a -> b }"));
  tuned.Add(Scored("```dot\ndigraph { x [label=\"</pre><img src=x onerror=alert(1)>\"]; }\n```"));
  tuned.Add(Scored("digraph { a -> c }"));
  tuned.Add(Scored("digraph { \"<script>bad()</script>\" ) }"));
  e.runs = {base, tuned};
  return e;
}

TEST(HtmlText, EscapesMarkupAndRepairsUtf8) {
  EXPECT_EQ(EscapeHtml("<a href='x'>\"&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(EscapeHtml("caf\xC3\xA9 \xE2\x86\x92"), "caf\xC3\xA9 \xE2\x86\x92");  // valid UTF-8 kept
  EXPECT_EQ(EscapeHtml("cut \xE2\x86"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");          // a cut character: U+FFFD per byte
  EXPECT_EQ(EscapeHtml("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                   // overlong '/'
  EXPECT_EQ(EscapeInlineScript("a='</script>';b='</SCRIPT';c=/<!--/"), "a='<\\/script>';b='<\\/SCRIPT';c=/<\\x21--/");
}

TEST(SummaryTable, CountsRatesAndTheTest) {
  const std::string t = SummaryTable(TwoRuns());
  EXPECT_NE(t.find("base"), std::string::npos) << t;
  EXPECT_NE(t.find("1/4  25.0%"), std::string::npos) << t;
  EXPECT_NE(t.find("3/4  75.0%"), std::string::npos) << t;
  EXPECT_NE(t.find("+50.0 pts"), std::string::npos) << t;
  // z for 1/4 against 3/4, pooled p = 0.5: 0.5 / sqrt(0.25 * 0.5) = 1.41.
  EXPECT_NE(t.find("two-proportion z = 1.41, p = 0.1573"), std::string::npos) << t;
}

TEST(JsonReport, EveryOutputWithVerdictAndPosition) {
  const auto j = nlohmann::json::parse(JsonReport(TwoRuns()));
  ASSERT_EQ(j["items"].size(), 4u);
  EXPECT_EQ(j["runs"][1]["counts"]["valid"], 3);
  EXPECT_EQ(j["items"][1]["base"]["verdict"], "incomplete");
  EXPECT_EQ(j["items"][2]["base"]["verdict"], "syntax_error");
  EXPECT_EQ(j["items"][2]["base"]["error"]["line"], 1);
  EXPECT_EQ(j["items"][3]["base"]["verdict"], "no_diagram");
  EXPECT_EQ(j["items"][1]["tuned"]["fenced"], true);
  EXPECT_NEAR(j["comparison"]["z"].get<double>(), 1.4142, 1e-4);
}

// A DOT report carries no script at all, so any <script> or <img> would be smuggled in.
TEST(HtmlReport, EverythingFromTheModelIsEscaped) {
  auto html = HtmlReport(TwoRuns(), {});
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(html->find("<script"), std::string::npos);  // DOT needs no script, and no output smuggled one in
  EXPECT_EQ(html->find("<img"), std::string::npos);
  EXPECT_EQ(html->find("<b>"), std::string::npos);
  EXPECT_NE(html->find("draw &lt;b&gt;0&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html->find("m&lt;1&gt;.etm"), std::string::npos);
  EXPECT_NE(html->find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html->find("<svg"), std::string::npos);  // valid DOT drawn by Graphviz
  EXPECT_NE(html->find("<span class=\"line error\">"), std::string::npos);  // the syntax error's line marked
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()));
  std::ofstream(path) << text;
  return path.string();
}

TEST(TrainingLog, ReadsStepsAndRefusesBadLinesByNumber) {
  const std::string good = WriteTemp("log_good.jsonl",
                                     "{\"step\":1,\"loss\":2.5}\n\n{\"step\":2,\"loss\":2.0,\"eval_loss\":2.2}\n");
  auto points = ReadTrainingLog(good);
  ASSERT_TRUE(points.ok()) << points.status().message();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[1].eval_loss.value_or(0), 2.2);
  const std::string svg = LossCurveSvg(*points);
  EXPECT_NE(svg.find("class=\"train\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"eval\""), std::string::npos);

  const std::string bad = WriteTemp("log_bad.jsonl", "{\"step\":1,\"loss\":2.5}\n{\"step\":2}\n");
  auto r = ReadTrainingLog(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(bad + ": line 2: expected an object with numbers 'step' and 'loss'"),
            std::string::npos)
      << r.status().message();
  const std::string broken = WriteTemp("log_broken.jsonl", "{\"step\":1,\"loss\":2.5}\n{oops\n");
  EXPECT_NE(ReadTrainingLog(broken).status().message().find(": line 2: not valid JSON"), std::string::npos);
  EXPECT_FALSE(ReadTrainingLog(WriteTemp("log_empty.jsonl", "\n")).ok());
  for (const auto& p : {good, bad, broken}) std::filesystem::remove(p);
}

}  // namespace
}  // namespace edgert::eval
