#!/usr/bin/env python3
"""scripts/check-layers: passes on the tree, and fails, naming the file, the line and the arrow,
on a copy of the tree where a layer includes across a forbidden arrow or where layers.txt makes
a cycle."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "scripts", "check-layers")


def run(root):
    return subprocess.run([sys.executable, CHECK, "--root", root], capture_output=True,
                          text=True, timeout=120)


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        # A copy of the layers and their sources only (the check reads nothing else).
        self.tmp = tempfile.mkdtemp(prefix="lg-layers-")
        shutil.copy(os.path.join(ROOT, "layers.txt"), self.tmp)
        for top in ("operator", "controllers"):
            shutil.copytree(os.path.join(ROOT, top), os.path.join(self.tmp, top),
                            ignore=shutil.ignore_patterns("*.txt", "*.md"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def append(self, rel, text):
        with open(os.path.join(self.tmp, rel), "a", encoding="utf-8") as f:
            f.write(text)

    def test_the_tree_keeps_to_its_layers(self):
        r = run(ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("keep to layers.txt", r.stdout)

    def test_the_copy_passes_before_it_is_changed(self):
        r = run(self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_detect_including_reconcile_is_refused(self):
        path = "controllers/detect/leak_detector.h"
        with open(os.path.join(self.tmp, path), encoding="utf-8") as f:
            lines = f.read().count("\n")
        self.append(path, '#include "controllers/reconcile/usage_hub.h"\n')
        r = run(self.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{path}:{lines + 1}: controllers/detect may not include "
                      "controllers/reconcile", r.stderr)
        self.assertIn("1 include(s) across the layers", r.stderr)

    def test_an_upward_include_from_the_runtime_is_refused(self):
        self.append("operator/runtime/manager.cpp", '#include "controllers/policy/leak_policy.h"\n')
        r = run(self.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("operator/runtime may not include controllers/policy", r.stderr)

    def test_a_transitive_arrow_is_allowed(self):
        # reconcile names actions and sources; they reach kube through policy and runtime.
        self.append("controllers/reconcile/usage_hub.cpp", '#include "operator/kube/quantity.h"\n')
        r = run(self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_cycle_in_layers_txt_is_refused(self):
        path = os.path.join(self.tmp, "layers.txt")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("operator/util:\n", "operator/util: controllers/detect\n")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = run(self.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("the arrows make a cycle: ", r.stderr)
        self.assertIn("operator/util -> controllers/detect -> operator/util", r.stderr)

    def test_a_layer_naming_no_layer_is_refused(self):
        self.append("layers.txt", "controllers/extra: controllers/nowhere\n")
        r = run(self.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("names controllers/nowhere, which is no layer", r.stderr)


if __name__ == "__main__":
    unittest.main()
