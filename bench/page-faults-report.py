"""Where a first execute takes its page faults.

Reads `perf script -F addr,ip,sym --show-mmap-events` of a `perf record -d
-e page-faults` run on stdin (bench/page-faults.sh records one) and prints
the faults per run by the wasm function that took them, then by region of
the guest's linear memory: each
library's static data (bench/page-faults-libraries.ts), the shadow
stack, the heap inside the image (pages the snapshot holds: a fault copies
one), and memory above the image (zero pages). The heap rows also count
distinct pages, since a fault is taken once per page and instance.

  page-faults-report.py RUNS LIBRARIES_FILE
"""

import collections
import itertools
import re
import sys

PAGE = 4096


def main():
    runs = int(sys.argv[1])
    regions = []  # (start, end, name): "NAME BASE SIZE" lines from bench/page-faults-libraries.ts
    with open(sys.argv[2]) as f:
        for line in f:
            lib, base, size = line.split()
            regions.append((int(base), int(base) + int(size), f"static data of {lib}"))
    regions.sort()
    reservations = []  # (start, size) of anonymous mappings of 4 GiB or more: a 32-bit linear memory's
    mapped = []  # writable mappings of the compiled component: the whole file, and the memory image
    faults = []
    by_function = collections.Counter()
    for line in sys.stdin:
        if "PERF_RECORD_MMAP" in line:
            m = re.search(r"\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ ", line)
            if not m:
                continue
            start, length = int(m.group(1), 16), int(m.group(2), 16)
            if length >= 1 << 32 and "//anon" in line:
                reservations.append((start, length))
            elif line.rstrip().endswith(".cwasm") and " rw-p " in line:
                mapped.append((start, start + length))
            continue
        m = re.match(r"\s*([0-9a-f]+)\s", line)
        if m:
            faults.append(int(m.group(1), 16))
        # The faulting code's symbol comes last (the data address may have one of its own first).
        function = re.fullmatch(r"wasm\[\d+\]::(\S+)", line.split()[-1]) if line.strip() else None
        if function:
            by_function[re.sub(r"function\[\d+\]::", "", function.group(1))] += 1
    print(f"page faults in wasm code per instantiate → first result: {sum(by_function.values()) / runs:.0f}")
    for name, n in by_function.most_common(20):
        print(f"{n / runs:8.1f}  {name}")
    # The memory image is the one mapped inside a linear memory's reservation.
    inside = [(m, r) for m in mapped for r in reservations if r[0] <= m[0] < r[0] + r[1]]
    if not inside:
        raise SystemExit("no memory image mapped from a .cwasm in the recording (perf record -d records it)")
    image, (start, size) = inside[0]
    # wasmtime reserves guard + 4 GiB + guard, the guards equal: linear address 0 is after the first.
    base = start + (size - (1 << 32)) // 2
    rows = collections.Counter()
    pages = collections.defaultdict(set)
    first_static = regions[0][0] if regions else 0
    for addr in faults:
        off = addr - base
        if not 0 <= off < (1 << 32):
            continue  # not guest memory
        name = next((n for lo, hi, n in regions if lo <= off < hi), None)
        if name is None:
            if off < first_static:
                name = "below the libraries (the linker's stack)"
            elif addr < image[1]:
                name = "heap, inside the image (copy-on-write)"
            else:
                name = "above the image (zero pages)"
        rows[name] += 1
        pages[name].add(off // PAGE)
    total = sum(rows.values())
    span = f"linear {image[0] - base:#x}..{image[1] - base:#x}, {(image[1] - image[0]) >> 20} MiB"
    print(f"page faults in linear memory per run: {total / runs:.0f} (the image: {span})")
    for name, n in rows.most_common():
        ordered = sorted(pages[name])
        stretches = 1 + sum(1 for a, b in itertools.pairwise(ordered) if b != a + 1)
        print(f"{n / runs:8.1f}  {name} ({len(ordered)} distinct pages over all runs, {stretches} separate stretches)")


main()
