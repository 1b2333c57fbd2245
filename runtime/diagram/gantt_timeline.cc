#include "runtime/diagram/gantt_timeline.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <map>

#include "base/split.h"

namespace edgert::diagram {
namespace {

// Times are seconds on a wall clock. HH:mm charts count from midnight of the
// drawing day, which cancels out: every time of such a chart is on that day.
using Seconds = int64_t;
constexpr Seconds kDay = 86400;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<int> Number(std::string_view digits) {
  int value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<Seconds> ParseDate(std::string_view s) {  // YYYY-MM-DD
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto y = Number(s.substr(0, 4)), m = Number(s.substr(5, 2)), d = Number(s.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) return std::nullopt;
  return DaysFromCivil(*y, *m, *d) * kDay;
}

std::optional<Seconds> ParseTime(std::string_view s) {  // HH:mm
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  const auto h = Number(s.substr(0, 2)), m = Number(s.substr(3, 2));
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return *h * 3600 + *m * 60;
}

// mermaid's durations: a number and one of d, w, h, m, s (the grammar's units;
// months and years are not in it). Unreadable: no duration, as in mermaid.
Seconds ParseDuration(std::string_view s) {
  if (s.size() < 2) return 0;
  const auto value = Number(s.substr(0, s.size() - 1));
  if (!value) return 0;
  switch (s.back()) {
    case 'w': return *value * 7 * kDay;
    case 'd': return *value * kDay;
    case 'h': return *value * 3600;
    case 'm': return *value * 60;
    case 's': return *value;
    default: return 0;
  }
}

std::string_view WeekdayName(Seconds t) {  // 1970-01-01 was a Thursday
  static constexpr std::array<std::string_view, 7> kNames = {"thursday", "friday", "saturday", "sunday",
                                                              "monday", "tuesday", "wednesday"};
  int64_t days = t >= 0 ? t / kDay : (t - kDay + 1) / kDay;
  return kNames[static_cast<size_t>(((days % 7) + 7) % 7)];
}

// (appended piece by piece: GCC 12 warns, wrongly, on a chain of operator+)
std::string NamesNoTask(std::string_view reference) {
  std::string message = "`";
  message.append(reference).append(
      "` names no task of the chart (mermaid would use the day it draws on, or a task of another chart drawn "
      "before on the page)");
  return message;
}

struct Task {
  int line = 0;
  std::string id;
  bool milestone = false;
  enum class StartKind { kPrevious, kAfter, kTime } start_kind = StartKind::kTime;
  std::vector<std::string> start_ids;  // kAfter
  std::string_view start_text, end_text;
  std::optional<Seconds> start, end;
  bool processed = false;
};

class Timeline {
 public:
  std::optional<GanttProblem> Read(const std::vector<std::string_view>& lines);
  std::optional<GanttProblem> Solve();

 private:
  const Task* Find(const std::string& id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? nullptr : &tasks_[it->second];
  }
  std::optional<Seconds> ParseAt(std::string_view s) const { return hm_ ? ParseTime(s) : ParseDate(s); }
  bool Excluded(Seconds day) const;
  std::optional<GanttProblem> Compile(size_t k, const Task* previous);

  std::vector<Task> tasks_;
  std::map<std::string, size_t, std::less<>> index_;  // id -> its last task, as mermaid's taskDb
  std::vector<std::string> excludes_;
  bool hm_ = false, inclusive_ = false;
  bool dated_ = false;  // a dateFormat line: without one, mermaid reads no end date (the bar ends where it starts)
};

std::optional<GanttProblem> Timeline::Read(const std::vector<std::string_view>& lines) {
  int auto_ids = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view body = Trim(lines[i]);
    if (body.empty() || body.starts_with("%%")) continue;
    if (body.starts_with("dateFormat ")) {
      hm_ = Trim(body.substr(11)) == "HH:mm";
      dated_ = true;
      continue;
    }
    if (body == "inclusiveEndDates") {
      inclusive_ = true;
      continue;
    }
    if (body.starts_with("excludes ")) {  // each `excludes` line replaces the last
      excludes_.clear();
      for (std::string_view e : SplitView(body.substr(9), ',')) excludes_.emplace_back(Trim(e));
      continue;
    }
    bool setting = false;
    for (std::string_view keyword : {"title ", "axisFormat ", "tickInterval ", "todayMarker ", "weekday ", "section ",
                                     "click ", "accTitle", "accDescr"}) {
      setting = setting || body.starts_with(keyword);
    }
    const size_t colon = body.find(':');
    if (setting || colon == std::string_view::npos) continue;
    Task task;
    task.line = static_cast<int>(i + 1);
    std::vector<std::string_view> data = SplitView(body.substr(colon + 1), ',');
    while (!data.empty()) {  // mermaid's tags, at the front
      const std::string_view tag = Trim(data.front());
      if (tag != "active" && tag != "done" && tag != "crit" && tag != "milestone") break;
      task.milestone = task.milestone || tag == "milestone";
      data.erase(data.begin());
    }
    for (std::string_view& part : data) part = Trim(part);
    if (data.size() == 1) {
      task.start_kind = Task::StartKind::kPrevious;
    } else if (data.size() == 2 || data.size() == 3) {
      task.start_text = data[data.size() - 2];
    } else {
      continue;  // mermaid keeps no times for it; the grammar has no such task
    }
    task.end_text = data.back();
    task.id = data.size() == 3 ? std::string(data[0]) : "task" + std::to_string(++auto_ids);
    if (task.start_text.starts_with("after ")) {
      task.start_kind = Task::StartKind::kAfter;
      for (std::string_view id : SplitView(Trim(task.start_text.substr(6)), ' ')) task.start_ids.emplace_back(id);
    }
    index_[task.id] = tasks_.size();
    tasks_.push_back(std::move(task));
  }
  return std::nullopt;
}

bool Timeline::Excluded(Seconds day) const {
  const std::string_view name = WeekdayName(day);
  for (const std::string& e : excludes_) {
    if (e == name || (e == "weekends" && (name == "saturday" || name == "sunday"))) return true;
    // (a date to exclude is compared in the chart's dateFormat: none, no match)
    const auto date = ParseDate(e);
    if (dated_ && date && *date / kDay == (day >= 0 ? day / kDay : (day - kDay + 1) / kDay)) return true;
  }
  return false;
}

// One task, as one step of mermaid's compileTasks: values still unknown stay
// unknown, and a comparison with an unknown is false, as in JavaScript.
std::optional<GanttProblem> Timeline::Compile(size_t k, const Task* previous) {
  Task& task = tasks_[k];
  if (task.start_kind == Task::StartKind::kPrevious) {
    if (previous == nullptr) return GanttProblem{task.line, "the first task has no start (mermaid cannot draw it)"};
    task.start = previous->end;
  } else if (task.start_kind == Task::StartKind::kAfter) {
    const Task* latest = nullptr;
    for (const std::string& id : task.start_ids) {
      const Task* other = Find(id);
      if (other != nullptr && (latest == nullptr || (other->end && latest->end && *other->end > *latest->end))) {
        latest = other;
      }
    }
    if (latest == nullptr) return GanttProblem{task.line, NamesNoTask(task.start_text)};
    if (latest->end) task.start = latest->end;
  } else if (const auto at = ParseAt(task.start_text)) {
    task.start = at;
  }
  if (!task.start) return std::nullopt;
  if (task.end_text.starts_with("until ")) {
    const Task* earliest = nullptr;
    for (std::string_view id : SplitView(Trim(task.end_text.substr(6)), ' ')) {
      const Task* other = Find(std::string(id));
      if (other != nullptr && (earliest == nullptr || (other->start && earliest->start && *other->start < *earliest->start))) {
        earliest = other;
      }
    }
    if (earliest == nullptr) return GanttProblem{task.line, NamesNoTask(task.end_text)};
    task.end = earliest->start;
  } else if (const auto at = ParseAt(task.end_text); at && dated_) {
    task.end = *at + (inclusive_ ? kDay : 0);
  } else {
    task.end = *task.start + ParseDuration(task.end_text);
  }
  if (!task.end) return std::nullopt;
  task.processed = true;
  // mermaid's excludes: each excluded day after the start pushes a computed
  // end (not a written date) one day later.
  if (!excludes_.empty() && !ParseDate(task.end_text)) {
    Seconds end = *task.end;
    for (Seconds day = *task.start + kDay; day <= end; day += kDay) {
      if (Excluded(day)) end += kDay;
    }
    task.end = end;
  }
  return std::nullopt;
}

std::optional<GanttProblem> Timeline::Solve() {
  // mermaid compiles the tasks once, then up to ten more times while some
  // task's times are still unknown (one that follows a later line).
  if (tasks_.empty()) return std::nullopt;
  for (int pass = 0; pass < 11; ++pass) {
    bool all = true;
    for (size_t k = 0; k < tasks_.size(); ++k) {
      const Task* previous = k == 0 ? nullptr : Find(tasks_[k - 1].id);
      if (auto problem = Compile(k, previous)) return problem;
      all = all && tasks_[k].processed;
    }
    if (all) break;
  }
  for (const Task& task : tasks_) {
    if (!task.start || !task.end) {
      return GanttProblem{task.line, "the task's times never resolve (its `after`/`until` references go round; "
                                     "mermaid draws it at NaN)"};
    }
  }
  // Refused even where mermaid happens to hide it: a backwards bar shorter
  // than a pixel rounds to width 0, and a chart whose every bar runs
  // backwards gets a reversed axis; either is a mistake in the chart.
  for (const Task& task : tasks_) {
    if (!task.milestone && *task.end < *task.start) {
      return GanttProblem{task.line, "the task ends before it starts (mermaid draws a bar of negative width, "
                                     "or of none)"};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<GanttProblem> FindGanttTimelineProblem(const std::vector<std::string_view>& lines) {
  Timeline timeline;
  if (auto problem = timeline.Read(lines)) return problem;
  return timeline.Solve();
}

}  // namespace edgert::diagram
