"""The status and wait-mode codes: one definition each in Python and in AssemblyScript, and they agree."""

import re
import unittest

import fake_eryx
from eryx_glue import codes
from support import REPO

AS_FILE = REPO / "assembly" / "python" / "glue-codes.ts"
AS_NAMES = {
    "STATUS_OK": "OK",
    "STATUS_ERROR": "ERROR",
    "STATUS_PENDING": "PENDING",
    "MODE_WAIT": "MODE_WAIT",
    "MODE_POLL": "MODE_POLL",
}


class CodesTest(unittest.TestCase):
    def test_assemblyscript_and_python_agree(self):
        text = AS_FILE.read_text()
        found = dict(re.findall(r"^export const (\w+): i32 = (\d+);", text, re.M))
        self.assertEqual(set(found), set(AS_NAMES), "glue-codes.ts defines exactly these")
        for as_name, py_name in AS_NAMES.items():
            self.assertEqual(int(found[as_name]), getattr(codes, py_name), as_name)

    def test_each_code_is_defined_once_on_the_assemblyscript_side(self):
        for path in (REPO / "assembly").rglob("*.ts"):
            if path == AS_FILE or "generated" in path.parts:
                continue
            for name in AS_NAMES:
                self.assertNotRegex(path.read_text(), rf"const {name}\b", f"{path.relative_to(REPO)} redefines {name}")

    def test_the_native_module_answers_with_the_named_codes(self):
        text = (REPO / "assembly" / "python" / "native-module.ts").read_text()
        self.assertRegex(text, r"pair\(STATUS_PENDING,")
        self.assertNotRegex(text, r"pair\(\s*\d", "a bare status literal")

    def test_statuses_are_distinct_and_the_stand_in_uses_them(self):
        self.assertEqual(len({codes.OK, codes.ERROR, codes.PENDING}), 3)
        self.assertNotEqual(codes.MODE_WAIT, codes.MODE_POLL)
        self.assertEqual((fake_eryx.OK, fake_eryx.ERROR, fake_eryx.PENDING), (codes.OK, codes.ERROR, codes.PENDING))


if __name__ == "__main__":
    unittest.main()
