"""tests/hostile/hostile_lib.py: what the hostile-input campaigns share.

Running a tool with a time limit, and judging how it ended: a crash is a
signal (or an exit code of 128 and more) or a sanitizer report; a hang is the
time limit; a refusal is exit code 1 with exactly one line on stderr, and that
line starts with "error: ".
"""
import os
import subprocess
import sys
from dataclasses import dataclass

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:",
                   "ThreadSanitizer", "MemorySanitizer")


@dataclass
class Outcome:
    rc: int          # exit code; negative: killed by that signal; None: timed out
    stdout: bytes
    stderr: str

    @property
    def hung(self):
        return self.rc is None

    @property
    def crashed(self):
        return self.rc is not None and (self.rc < 0 or self.rc >= 128) or self.sanitizer_report

    @property
    def sanitizer_report(self):
        return any(mark in self.stderr for mark in SANITIZER_MARKS)

    @property
    def error_lines(self):
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    @property
    def one_clear_error(self):
        """Refused in one line: exit 1, stderr exactly one line, "error: ...", naming something."""
        lines = self.stderr.splitlines()
        return self.rc == 1 and len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) > len("error: ") + 8

    def describe(self):
        state = "timed out" if self.hung else f"exit {self.rc}"
        return f"{state}, stderr: {self.stderr.strip()[-400:]!r}"


def run(cmd, timeout, stdin=subprocess.DEVNULL, env=None):
    """Runs cmd; a run past `timeout` seconds is killed (with its process group) and reported as hung."""
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        return Outcome(None, out, err.decode("utf-8", "replace"))
    return Outcome(proc.returncode, out, err.decode("utf-8", "replace"))


class Tally:
    """Counts by kind and keeps the first examples of each failure."""

    def __init__(self):
        self.counts = {}
        self.failures = []

    def add(self, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def fail(self, what):
        self.add("FAILURE")
        if len(self.failures) < 20:
            self.failures.append(what)
        print("FAIL " + what, file=sys.stderr, flush=True)

    def report(self, title):
        print(f"{title}: " + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))
        for f in self.failures:
            print("  " + f)
        return 1 if self.failures else 0


def tools(build):
    t = os.path.join(build, "tools")
    return {
        "convert": os.path.join(t, "edge_convert", "edge-convert"),
        "run": os.path.join(t, "edge_run", "edge-run"),
        "tune": os.path.join(t, "edge_tune", "edge-tune"),
        "eval": os.path.join(t, "edge_eval", "edge-eval"),
        "export": os.path.join(t, "edge_export", "edge-export"),
    }


def must(outcome, what):
    if outcome.rc != 0:
        sys.exit(f"error: {what}: {outcome.describe()}")
    return outcome
