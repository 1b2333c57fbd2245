// tools/edge_tune/progress.cc
#include "tools/edge_tune/progress.h"

#include <nlohmann/json.hpp>

#include <utility>

#include "ports/process_stats.h"
#include "ports/terminal.h"
#include "tools/common/cli.h"

namespace edgert {
namespace {

std::string Duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  }
  return buf;
}

}  // namespace

Result<Progress> Progress::Create(const std::string& json_log, bool append, uint64_t budget_bytes) {
  Progress p;
  p.live_ = ports::StderrIsTerminal();
  p.budget_ = budget_bytes;
  if (!json_log.empty()) {
    p.log_ = std::fopen(json_log.c_str(), append ? "a" : "w");
    if (p.log_ == nullptr) return IoError(json_log + ": cannot open the JSON log for writing");
  }
  return p;
}

Progress::Progress(Progress&& o) noexcept { *this = std::move(o); }
Progress& Progress::operator=(Progress&& o) noexcept {
  std::swap(log_, o.log_);
  live_ = o.live_;
  drawn_ = o.drawn_;
  budget_ = o.budget_;
  tokens_ = o.tokens_;
  train_seconds_ = o.train_seconds_;
  all_seconds_ = o.all_seconds_;
  steps_ = o.steps_;
  eval_ = o.eval_;
  return *this;
}
Progress::~Progress() {
  if (log_ != nullptr) std::fclose(log_);
}

void Progress::OnStep(const StepReport& r) {
  tokens_ += r.tokens;
  train_seconds_ += r.seconds;
  all_seconds_ += r.seconds + r.eval_seconds;
  ++steps_;
  if (r.eval_loss) eval_ = r.eval_loss;
  const double tok_s = train_seconds_ > 0 ? static_cast<double>(tokens_) / train_seconds_ : 0.0;
  const double eta = all_seconds_ / static_cast<double>(steps_) * static_cast<double>(r.total_steps - r.step);
  const ports::MemoryStats mem = ports::ReadMemoryStats();
  if (log_ != nullptr) {
    nlohmann::ordered_json j = {{"step", r.step},          {"total_steps", r.total_steps},
                                {"epoch", r.epoch},        {"loss", r.loss},
                                {"lr", r.lr},              {"grad_norm", r.grad_norm},
                                {"tokens", r.tokens},      {"counted_tokens", r.counted_tokens},
                                {"seconds", r.seconds},    {"tokens_per_second", tok_s},
                                {"rss_bytes", mem.resident_bytes},
                                {"peak_rss_bytes", mem.peak_resident_bytes},
                                {"major_faults", mem.major_faults},
                                {"minor_faults", mem.minor_faults}};
    if (r.eval_loss) {
      j["eval_loss"] = *r.eval_loss;
      j["eval_seconds"] = r.eval_seconds;
    }
    std::fprintf(log_, "%s\n", j.dump().c_str());
    std::fflush(log_);  // a log someone watches, and that survives a kill
  }
  char eval[32] = "-";
  if (eval_) std::snprintf(eval, sizeof eval, "%.4f", *eval_);
  std::string rss = cli::HumanBytes(mem.resident_bytes);
  if (budget_ > 0) rss += "/" + cli::HumanBytes(budget_);
  std::fprintf(stderr, "%sstep %lld/%lld  epoch %.2f  loss %.4f  eval %s  lr %.2e  %.0f tok/s  ETA %s  RSS %s  faults %llu maj%s",
               live_ ? "\r\033[K" : "", static_cast<long long>(r.step), static_cast<long long>(r.total_steps), r.epoch,
               r.loss, eval, static_cast<double>(r.lr), tok_s, Duration(eta).c_str(), rss.c_str(),
               static_cast<unsigned long long>(mem.major_faults), live_ ? "" : "\n");
  std::fflush(stderr);
  drawn_ = live_;
}

void Progress::Finish(const TrainSummary& s, const std::string& out_path) {
  if (drawn_) std::fprintf(stderr, "\n");
  const ports::MemoryStats mem = ports::ReadMemoryStats();
  std::fprintf(stderr, "%s after %lld steps (%lld this run) in %s: %lld tokens, %.1f tok/s training, peak RSS %s%s, "
               "page faults %llu major / %llu minor\n",
               s.interrupted ? "interrupted" : s.stopped_early ? "stopped early" : "done",
               static_cast<long long>(s.steps), static_cast<long long>(s.steps_this_run),
               Duration(s.seconds_this_run).c_str(), static_cast<long long>(s.tokens_this_run),
               train_seconds_ > 0 ? static_cast<double>(tokens_) / train_seconds_ : 0.0,
               cli::HumanBytes(mem.peak_resident_bytes).c_str(),
               budget_ > 0 ? (" (budget " + cli::HumanBytes(budget_) + ")").c_str() : "",
               static_cast<unsigned long long>(mem.major_faults), static_cast<unsigned long long>(mem.minor_faults));
  if (s.first_loss && s.last_loss) std::fprintf(stderr, "training loss %.4f -> %.4f\n", *s.first_loss, *s.last_loss);
  if (s.first_eval && s.last_eval && s.best_eval) {
    std::fprintf(stderr, "eval loss %.4f (before training) -> %.4f (best %.4f)\n", *s.first_eval, *s.last_eval,
                 *s.best_eval);
  }
  if (!out_path.empty()) std::fprintf(stderr, "adapter: %s\n", out_path.c_str());
}

}  // namespace edgert
