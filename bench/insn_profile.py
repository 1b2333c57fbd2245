#!/usr/bin/env python3
"""bench/insn_profile.py: guest instructions per kernel operator, from the
per-block counts of bench/qemu_insn_profile.c.

  insn_profile.py ops BINARY RUN.prof [--minus BASE.prof] [--div N]
      prints JSON {operator: instructions}: RUN's counts, less BASE's, over N
      (e.g. 9 decoded tokens less 1, over 8: one decode step).
  insn_profile.py functions BINARY RUN.prof [--minus BASE.prof] [--div N]
      the same, per function (the 30 largest).
  insn_profile.py table COLUMN=FILE.json ...
      prints a Markdown table, one row per operator, one column per file.

Addresses map to functions through the binary's symbol table (aarch64 nm);
qemu-user loads a position-independent executable at 0x5500000000. Blocks
outside the executable are named by the map lines the plugin appends: libm
(the scalar reference's std::exp, expf, log calls) is a row of its own, the
other libraries (libc, libstdc++, pthreadpool) one more.
"""
import bisect
import json
import re
import subprocess
import sys

PIE_BASE = 0x5500000000

# (operator, pattern on the demangled name), first match wins. Variants of
# one operator (scalar::, neon::, neon_impl::, neoni8mm::) share a row.
RULES = [
    ("q8_0 GEMV (decode products)", r"QGemv<edgert::BlockQ8_0"),
    ("q4_0 GEMV", r"QGemv<edgert::BlockQ4_0"),
    ("q8_0 GEMM (prefill, training products, int8 dx)", r"QGemm<edgert::BlockQ8_0"),
    ("q4_0 GEMM", r"QGemm<edgert::BlockQ4_0"),
    ("f32/f16/bf16 GEMM", r"::(FGemm|FTile)<"),
    ("activation quantize (quantize_q8)", r"::QuantizeQ8\("),
    ("attention forward (attend)", r"::(Attend<|AttendHead\()"),
    ("rmsnorm", r"::RmsNorm\("),
    ("rmsnorm backward", r"::RmsNormBackward\("),
    ("rope", r"::Rope\("),
    ("softmax", r"::Softmax\("),
    ("exp_sum (cross-entropy)", r"::ExpSumRow\("),
    ("scale", r"kernels::\w+::(\(anonymous namespace\)::)?Scale\("),
    ("silu·mul", r"::(Silu|SiluMul)\("),
    ("silu·mul backward", r"::SiluMulBackward\("),
    ("attention backward: scaled softmax", r"::ScaledSoftmax\("),
    ("attention backward: softmax backward", r"::SoftmaxBackward\("),
    ("f32 dx tile (dx += dy·tile; attention products)", r"TransposedTile|kernels::neon::\(anonymous namespace\)::(Block|Tile|StoreStrip)<"),
    ("f32 dx tile: dequantize W", r"TransposedDequantize|kernels::\(anonymous namespace\)::(Dequantize|DequantizeTransposed|Panel|ForwardPanel)\("),
    ("int8 dx: pack Wᵀ", r"PackTransposedQ8|kernels::neon::\(anonymous namespace\)::(DequantizeBlock|Transpose4x4|QuantizeColumn)"),
    ("int8 dx: wide-format kernels (dy quantize, Wᵀ pack, product)", r"Int8Wide|::(PackWide|GemmWide|QuantizeWide)\("),
    ("int8 dx: operator (add into dx)", r"kernels::\(anonymous namespace\)::(RunPanel|RunPanelWide|RunSlot)\("),
    ("LoRA products (lowrank)", r"LowRank|kernels::\w+::\(anonymous namespace\)::(ProjectRows|ProjectChunk|OuterCols|OuterChunk|ProjectOuter\w*|ExpandRows|ForChunks)"),
    ("reference (de)quantizers, conversions", r"kernels::(Dequantize|Quantize)Row|ConvertRow|F16ToF32|F32ToF16"),
    ("matmul operator (tasks, quantization calls)", r"kernels::\(anonymous namespace\)::(RunTask|QuantizeRow)\("),
    ("optimizer (AdamW)", r"AdamW|Adam\w*::|optimizer"),
    ("sampler", r"Sampler"),
]
COMPILED = [(name, re.compile(p)) for name, p in RULES]
OTHER = "runtime and tools (the rest of the executable, PLT stubs)"
SHARED = "other shared libraries (libc, libstdc++, pthreadpool)"


def symbols(binary):
    out = subprocess.run(["aarch64-linux-gnu-nm", "-C", "-n", "-S", "--defined-only", binary], check=True,
                         capture_output=True, text=True).stdout
    starts, ends, names = [], [], []
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[2] not in "tTwW":
            continue
        addr, size = int(parts[0], 16), int(parts[1], 16)
        starts.append(addr)
        ends.append(addr + size)
        names.append(parts[3])
    return starts, ends, names


def classify(name):
    for op, pattern in COMPILED:
        if pattern.search(name):
            return op
    return OTHER


LIBM = "libm (exp, log: what the scalar reference calls)"


def profile(path, libs=None):
    """{block address: instructions}; `libs` gets {path: load base} from the map lines."""
    counts = {}
    with open(path) as f:
        for line in f:
            if line.startswith("map "):
                fields = line.split()
                if libs is not None and len(fields) >= 7 and int(fields[3], 16) == 0:
                    start = int(fields[1].split("-")[0], 16)
                    libs[fields[6]] = min(libs.get(fields[6], start), start)
                continue
            addr, n = line.split()
            a = int(addr, 16)
            counts[a] = counts.get(a, 0) + int(n)
    return counts


class Libraries:
    """Names blocks outside the executable by library and, for libm, function."""

    def __init__(self, bases):
        self.ranges = sorted((base, path) for path, base in bases.items())
        self.syms = {}

    def name(self, a):
        i = bisect.bisect_right([b for b, _ in self.ranges], a) - 1
        if i < 0:
            return "(unknown)", SHARED
        base, path = self.ranges[i]
        lib = path.rsplit("/", 1)[-1]
        if not lib.startswith("libm."):
            return lib, SHARED
        if path not in self.syms:
            out = subprocess.run(["aarch64-linux-gnu-nm", "-D", "-n", "--defined-only", path], capture_output=True,
                                 text=True).stdout
            pairs = [(int(x.split()[0], 16), x.split()[2]) for x in out.splitlines() if len(x.split()) == 3]
            self.syms[path] = pairs
        pairs = self.syms[path]
        j = bisect.bisect_right([p for p, _ in pairs], a - base) - 1
        return f"{lib}:{pairs[j][1] if j >= 0 else '?'}", LIBM


def functions(binary, run, minus=None, div=1, top=30):
    """The `top` functions by instructions, with their operator row."""
    starts, ends, names = symbols(binary)
    lo, hi = PIE_BASE, PIE_BASE + max(ends)  # from the start: the PLT has no symbols
    bases = {}
    runs = [(profile(run, bases), 1)] + ([(profile(minus, bases), -1)] if minus else [])
    libs = Libraries(bases)
    per = {}
    for counts, sign in runs:
        for a, n in counts.items():
            if lo <= a < hi:
                i = bisect.bisect_right(starts, a - PIE_BASE) - 1
                name = names[i] if i >= 0 and a - PIE_BASE < max(ends[i], starts[i] + 1) else "(no symbol)"
                key = (name, classify(name))
            else:
                key = libs.name(a)
            per[key] = per.get(key, 0) + sign * n
    for (name, op), n in sorted(per.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{round(n / div):>14,}  {op:<40.40}  {name[:110]}")


def ops(binary, run, minus=None, div=1):
    starts, ends, names = symbols(binary)
    lo, hi = PIE_BASE, PIE_BASE + max(ends)  # from the start: the PLT has no symbols
    bases = {}
    runs = [(profile(run, bases), 1)] + ([(profile(minus, bases), -1)] if minus else [])
    libs = Libraries(bases)
    cache = {}
    totals = {}

    def add(counts, sign):
        for a, n in counts.items():
            if a not in cache:
                if not lo <= a < hi:
                    cache[a] = libs.name(a)[1]
                else:
                    i = bisect.bisect_right(starts, a - PIE_BASE) - 1
                    cache[a] = classify(names[i]) if i >= 0 and a - PIE_BASE < max(ends[i], starts[i] + 1) else OTHER
            op = cache[a]
            totals[op] = totals.get(op, 0) + sign * n

    for counts, sign in runs:
        add(counts, sign)
    result = {op: round(n / div) for op, n in totals.items()}
    result["total"] = round(sum(totals.values()) / div)
    return result


def table(columns):
    data = []
    for spec in columns:
        label, path = spec.split("=", 1)
        with open(path) as f:
            data.append((label, json.load(f)))
    order = [op for op, _ in RULES] + [OTHER, LIBM, SHARED, "total"]
    print("| operator | " + " | ".join(label for label, _ in data) + " |")
    print("|---|" + "---:|" * len(data))
    for op in order:
        values = [d.get(op, 0) for _, d in data]
        if all(abs(v) < 1000 for v in values) and op != "total":
            continue  # not in this step
        cells = [f"{v:,}" for v in values]
        name = f"**{op}**" if op == "total" else op
        print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv):
    if len(argv) >= 3 and argv[1] in ("ops", "functions"):
        args = argv[2:]
        minus, div = None, 1
        if "--minus" in args:
            i = args.index("--minus")
            minus = args[i + 1]
            del args[i:i + 2]
        if "--div" in args:
            i = args.index("--div")
            div = int(args[i + 1])
            del args[i:i + 2]
        if argv[1] == "functions":
            functions(args[0], args[1], minus, div)
        else:
            print(json.dumps(ops(args[0], args[1], minus, div), indent=1, ensure_ascii=False))
    elif len(argv) >= 3 and argv[1] == "table":
        table(argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
