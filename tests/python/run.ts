// The Python glue's unit tests (tests/python/test_*.py, stdlib unittest) on
// CPython 3.14: Pyodide's build of it, pinned in package.json, runs here in
// Node with the repository mounted, so no native Python 3.14 is needed. The
// tests run on the stand-in `_eryx` (fake_eryx.py), without linking anything.
// Exit status 0 when every test passed.

import { join } from "node:path";
import { loadPyodide } from "pyodide";

const root = join(import.meta.dirname, "..", "..");
const pattern = process.argv[2] ?? "test_*.py";

const py = await loadPyodide({
  stdout: (line: string) => process.stdout.write(line + "\n"),
  stderr: (line: string) => process.stderr.write(line + "\n"),
});
py.FS.mkdirTree("/repo");
py.FS.mount(py.FS.filesystems.NODEFS, { root }, "/repo");
py.globals.set("pattern", pattern);
const passed = py.runPython(`
import sys, unittest
sys.dont_write_bytecode = True
print(f"[python] CPython {sys.version.split()[0]} ({sys.platform})")
tests = "/repo/tests/python"
sys.path.insert(0, tests)
suite = unittest.defaultTestLoader.discover(tests, pattern=pattern, top_level_dir=tests)
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
print(f"{result.testsRun - failed} passed, {failed} failed")
result.wasSuccessful() and result.testsRun > 0
`);
process.exit(passed ? 0 : 1);
