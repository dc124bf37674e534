#!/usr/bin/env python3
"""scripts/gen-policy-schema: the C++ constants follow the CRD. A range or a default changed in
the CRD (the one place) is what the generated header says, so the operator's validation and
defaults change with it (policy_schema_drift_test checks the operator against the CRD); a CRD it
cannot read is refused with the reason."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "scripts", "gen-policy-schema")
CRD = os.path.join(ROOT, "crds", "leakguard.io_leakpolicies.yaml")


def generate(crd_text):
    with tempfile.TemporaryDirectory() as tmp:
        crd = os.path.join(tmp, "crd.yaml")
        header = os.path.join(tmp, "policy_schema.h")
        with open(crd, "w", encoding="utf-8") as f:
            f.write(crd_text)
        r = subprocess.run([sys.executable, GEN, crd, header], capture_output=True, text=True,
                           timeout=60)
        text = open(header, encoding="utf-8").read() if os.path.exists(header) else ""
        return r, text


def constant(header, name):
    m = re.search(r"inline constexpr [^=]* " + name + r"(?:\{| = )([^;]*?)\}?;", header)
    return m.group(1).strip() if m else None


class GenPolicySchemaTest(unittest.TestCase):
    def setUp(self):
        with open(CRD, encoding="utf-8") as f:
            self.crd = f.read()

    def test_the_crd_as_it_is(self):
        r, header = generate(self.crd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(constant(header, "kDetectionMarginMinimum"), "2.0")
        self.assertEqual(constant(header, "kDetectionMarginMaximum"), "50.0")
        self.assertEqual(constant(header, "kDetectionMarginDefault"), "10.0")
        self.assertEqual(constant(header, "kIncidentsKeepDefault"), "20")
        self.assertEqual(constant(header, "kBudgetsCooldownDefaultSeconds"), "600.0")
        self.assertEqual(constant(header, "kRecommendationsMinHistoryMaximumSeconds"), "21600.0")
        self.assertEqual(constant(header, "kModeEnum"), '"Observe", "Enforce"')
        self.assertEqual(constant(header, "kResourcesDefault"), '"memory"')

    def test_a_range_and_a_default_changed_in_the_crd_change_the_constants(self):
        old = "                    minimum: 2\n                    maximum: 50\n                    default: 10\n"
        self.assertIn(old, self.crd)
        changed = self.crd.replace(
            old, "                    minimum: 3\n                    maximum: 60\n"
                 "                    default: 12\n")
        changed = changed.replace("                    default: 10m\n",
                                  "                    default: 15m\n")
        r, header = generate(changed)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(constant(header, "kDetectionMarginMinimum"), "3.0")
        self.assertEqual(constant(header, "kDetectionMarginMaximum"), "60.0")
        self.assertEqual(constant(header, "kDetectionMarginDefault"), "12.0")
        self.assertEqual(constant(header, "kBudgetsCooldownDefault"), '"15m"')
        self.assertEqual(constant(header, "kBudgetsCooldownDefaultSeconds"), "900.0")

    def test_a_crd_it_cannot_read_is_refused_with_the_reason(self):
        r, _ = generate("apiVersion: v1\nkind: ConfigMap\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("gen-policy-schema:", r.stderr)
        bad = self.crd.replace("                    default: 10m\n",
                               "                    default: {a: 1}\n")
        r, _ = generate(bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("spec.budgets.cooldown: a default of an unsupported kind", r.stderr)


if __name__ == "__main__":
    unittest.main()
