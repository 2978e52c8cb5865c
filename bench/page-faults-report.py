"""Where a first execute takes its page faults.

Reads `perf script -F addr,ip,sym --show-mmap-events` of a `perf record -d
-e page-faults` run on stdin (bench/page-faults.sh records one) and prints
the faults per run by the wasm function that took them, then by region of
the guest's linear memory: each
library's static data (its memory_base and dylink.0 mem_size), the shadow
stack, the heap inside the image (pages the snapshot holds: a fault copies
one), and memory above the image (zero pages). The heap rows also count
distinct pages, since a fault is taken once per page and instance.

  page-faults-report.py RUNS COMPONENT_SKELETON_TXT LIB=FILE...
"""

import collections
import itertools
import re
import sys

PAGE = 4096


def uleb(data, i):
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def dylink_mem_size(path):
    """mem_size from the dylink.0 custom section's mem-info subsection."""
    with open(path, "rb") as f:
        data = f.read()
    i = 8
    while i < len(data):
        sid = data[i]
        size, j = uleb(data, i + 1)
        end = j + size
        if sid == 0:
            name_len, k = uleb(data, j)
            if data[k : k + name_len] == b"dylink.0":
                k += name_len
                while k < end:
                    sub = data[k]
                    sub_len, k = uleb(data, k + 1)
                    if sub == 1:
                        return uleb(data, k)[0]
                    k += sub_len
        i = end
    raise SystemExit(f"{path}: no dylink.0 mem-info")


def main():
    runs = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        skeleton = f.read()
    regions = []
    for arg in sys.argv[3:]:
        lib, path = arg.split("=", 1)
        export = re.search(rf'\(export "{re.escape(lib)}:memory_base" \(global (\d+)\)\)', skeleton)
        if not export:
            continue
        base = int(re.search(rf"\(global \(;{export.group(1)};\) i32 i32\.const (\d+)\)", skeleton).group(1))
        regions.append((base, base + dylink_mem_size(path), f"static data of {lib}"))
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
