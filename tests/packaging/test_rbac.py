#!/usr/bin/env python3
"""The chart's RBAC, rendered for every variant of the values: no wildcard anywhere, nothing
that lets LeakGuard escalate or read secrets, every rule in a Role or ClusterRole explained by a
comment in its template, and each ServiceAccount bound only to its own component's roles."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkgtest import CHART, VARIANTS, render  # noqa: E402

ROLE_KINDS = ("Role", "ClusterRole")
# Verbs and resources that would let a compromised LeakGuard become someone else or read
# what it must never record (DESIGN.md: no tokens, env values or Secret contents).
FORBIDDEN_VERBS = {"bind", "escalate", "impersonate", "deletecollection", "*"}
FORBIDDEN_RESOURCES = {"secrets", "serviceaccounts/token", "pods/exec", "pods/attach",
                       "pods/portforward", "pods/proxy", "nodes/proxy", "services/proxy",
                       "clusterroles", "roles", "clusterrolebindings", "rolebindings",
                       "certificatesigningrequests", "mutatingwebhookconfigurations",
                       "validatingwebhookconfigurations", "customresourcedefinitions"}


def rules_of(objs):
    for o in objs:
        if o["kind"] in ROLE_KINDS:
            for r in o.get("rules", []):
                yield o["kind"] + "/" + o["metadata"]["name"], r


class Rbac(unittest.TestCase):
    def test_no_wildcards(self):
        for variant, values in VARIANTS.items():
            for where, rule in rules_of(render(values)):
                for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                    for item in rule.get(field, []):
                        self.assertNotIn("*", item, "%s (%s): wildcard in %s: %r"
                                         % (where, variant, field, rule))
                self.assertTrue(rule.get("verbs"), where)
                self.assertTrue(rule.get("resources"), "%s: a rule without resources" % where)
                self.assertNotIn("nonResourceURLs", rule, where)

    def test_nothing_that_escalates_or_reads_secrets(self):
        for variant, values in VARIANTS.items():
            for where, rule in rules_of(render(values)):
                bad_verbs = FORBIDDEN_VERBS & set(rule["verbs"])
                bad_res = FORBIDDEN_RESOURCES & set(rule["resources"])
                self.assertFalse(bad_verbs, "%s (%s): %r" % (where, variant, rule))
                self.assertFalse(bad_res, "%s (%s): %r" % (where, variant, rule))

    def test_every_rule_has_a_comment_saying_why(self):
        tdir = os.path.join(CHART, "templates")
        for f in sorted(os.listdir(tdir)):
            if not f.startswith("rbac-"):
                continue
            with open(os.path.join(tdir, f)) as fh:
                lines = fh.read().splitlines()
            for i, line in enumerate(lines):
                if re.match(r"\s*- apiGroups:", line):
                    self.assertTrue(lines[i - 1].strip().startswith("#"),
                                    "%s:%d: rule without a comment above it" % (f, i + 1))

    def test_each_service_account_is_bound_to_its_own_roles_only(self):
        objs = render({})
        bindings = [o for o in objs if o["kind"] in ("RoleBinding", "ClusterRoleBinding")]
        self.assertTrue(bindings)
        for b in bindings:
            subjects = b["subjects"]
            self.assertEqual(len(subjects), 1, b["metadata"]["name"])
            sa = subjects[0]["name"]
            self.assertEqual(subjects[0]["kind"], "ServiceAccount")
            self.assertEqual(subjects[0]["namespace"], "leakguard-system")
            # leakguard-controller -> leakguard-controller[-leader-election]; same for the agent.
            self.assertTrue(b["roleRef"]["name"].startswith(sa), (sa, b["roleRef"]))
        role_names = {o["metadata"]["name"] for o in objs if o["kind"] in ROLE_KINDS}
        self.assertEqual(role_names, {b["roleRef"]["name"] for b in bindings},
                         "every role is bound, every binding's role is in the chart")
        # Leases are the only namespaced grant: create, then get and update only by name.
        roles = [o for o in objs if o["kind"] == "Role"]
        self.assertEqual(len(roles), 1)
        self.assertEqual(roles[0]["metadata"]["namespace"], "leakguard-system")
        self.assertEqual(roles[0]["rules"], [{"apiGroups": ["coordination.k8s.io"],
                                              "resources": ["leases"],
                                              "verbs": ["create"]},
                                             {"apiGroups": ["coordination.k8s.io"],
                                              "resources": ["leases"],
                                              "resourceNames": ["leakguard-controller"],
                                              "verbs": ["get", "update"]}])


if __name__ == "__main__":
    unittest.main(verbosity=2)
