"""Readying a pre-initialised image (image.py): the warm-up leaves an instance as it found it."""

import gc
import unittest

from fake_eryx import OK
from support import GlueTest


class ImageTest(GlueTest):
    def setUp(self):
        super().setUp()
        self.addCleanup(gc.unfreeze)  # image_objects freezes the GC over everything

    def names(self):
        return self.ok("print(sorted(k for k in globals() if not k.startswith('_')))")

    def test_the_warm_up_binds_nothing_and_the_host_callbacks_bind_afterwards(self):
        status, objects = self.glue.image_objects()
        self.assertEqual(status, OK)
        self.assertIn(self.glue.execute, objects)
        # The made-up listing the warm-up bound is gone, from G and from the bookkeeping.
        self.assertEqual(self.names(), "['invoke', 'list_callbacks']")
        self.assertEqual(
            sorted(self.glue.callbacks._installed), ["_EryxCallbackLeaf", "_EryxNamespace", "invoke", "list_callbacks"]
        )
        # An instance's host then lists its own callbacks: bound on the next execute.
        self.host.add_callback("echo")
        self.host.add_callback("http.get")
        self.assertEqual(self.names(), "['echo', 'http', 'invoke', 'list_callbacks']")
        self.assertEqual(
            self.ok("print(await echo(message='x'), await http.get(url='u'))"),
            "{'echo': {'message': 'x'}} {'http.get': {'url': 'u'}}",
        )


if __name__ == "__main__":
    unittest.main()
