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

    def test_scoped_to_namespaces_the_grants_are_roles_there(self):
        """watchNamespaces: the controller's and the agent's namespaced rules are Roles in those
        namespaces (the same rules as the ClusterRole of a cluster-wide install, nodes aside);
        the only cluster-wide grants left are nodes (controller) and TokenReviews (agent)."""
        wide = {o["metadata"]["name"]: o for o in render({}) if o["kind"] == "ClusterRole"}
        objs = render({"watchNamespaces": "{shop,billing}"})
        cluster = {o["metadata"]["name"]: o["rules"] for o in objs if o["kind"] == "ClusterRole"}
        self.assertEqual(sorted(cluster), ["leakguard-agent", "leakguard-controller-nodes"])
        self.assertEqual([r["resources"] for r in cluster["leakguard-controller-nodes"]],
                         [["nodes"]])
        self.assertEqual([r["resources"] for r in cluster["leakguard-agent"]], [["tokenreviews"]])
        roles = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["rules"]
                 for o in objs if o["kind"] == "Role"}
        ctrl_rules = [r for r in wide["leakguard-controller"]["rules"]
                      if r["resources"] != ["nodes"]]
        agent_rules = [r for r in wide["leakguard-agent"]["rules"]
                       if r["resources"] != ["tokenreviews"]]
        for ns in ("shop", "billing"):
            self.assertEqual(roles[(ns, "leakguard-controller")], ctrl_rules, ns)
            self.assertEqual(roles[(ns, "leakguard-agent")], agent_rules, ns)
        # The release namespace: the Lease, and the agent pods the controller polls.
        self.assertEqual(sorted(n for (ns, n) in roles if ns == "leakguard-system"),
                         ["leakguard-controller-agent-pods", "leakguard-controller-leader-election"])
        self.assertEqual(len(roles), 6, sorted(roles))
        bindings = [o for o in objs if o["kind"] in ("RoleBinding", "ClusterRoleBinding")]
        for b in bindings:
            self.assertEqual(len(b["subjects"]), 1)
            self.assertTrue(b["roleRef"]["name"].startswith(b["subjects"][0]["name"]), b)
            key = ((b["metadata"].get("namespace"), b["roleRef"]["name"])
                   if b["roleRef"]["kind"] == "Role" else b["roleRef"]["name"])
            self.assertIn(key, roles if b["roleRef"]["kind"] == "Role" else cluster, b)
        self.assertEqual(len(bindings), len(roles) + len(cluster))
        args = {o["kind"]: o["spec"]["template"]["spec"]["containers"][0]["args"]
                for o in objs if o["kind"] in ("Deployment", "DaemonSet")}
        self.assertIn("--namespaces=shop,billing", args["Deployment"])
        self.assertIn("--namespaces=shop,billing", args["DaemonSet"])

    def test_scoped_without_node_access_has_no_cluster_role_at_all(self):
        objs = render({"watchNamespaces": "{shop}", "controller.nodeAccess": "false",
                       "agent.enabled": "false"})
        self.assertEqual([o["metadata"]["name"] for o in objs
                          if o["kind"] in ("ClusterRole", "ClusterRoleBinding")], [])
        wide = render({"controller.nodeAccess": "false"})
        rules = [o for o in wide if o["kind"] == "ClusterRole"
                 and o["metadata"]["name"] == "leakguard-controller"][0]["rules"]
        self.assertNotIn(["nodes"], [r["resources"] for r in rules])

    def test_writes_of_other_peoples_objects_are_not_granted(self):
        """No ConfigMap can be rewritten (captures are created, never updated), and the only
        LimitRange and ResourceQuota that can be read or updated are LeakGuard's own
        (controllers/actions/enforce_quota_action.h, kQuotaObjectName)."""
        for variant, values in VARIANTS.items():
            for where, rule in rules_of(render(values)):
                if "configmaps" in rule["resources"]:
                    self.assertEqual(sorted(rule["verbs"]), ["create", "get"], where)
                quota = {"limitranges", "resourcequotas"} & set(rule["resources"])
                if quota and set(rule["verbs"]) - {"create"}:
                    self.assertEqual(rule.get("resourceNames"), ["leakguard-memory"],
                                     "%s (%s): %r" % (where, variant, rule))
        with open(os.path.join(CHART, "..", "..", "controllers", "actions",
                               "enforce_quota_action.h")) as f:
            self.assertIn('kQuotaObjectName = "leakguard-memory"', f.read())

    def test_unscoped_has_no_namespaces_flag(self):
        for o in render({}):
            if o["kind"] in ("Deployment", "DaemonSet"):
                args = o["spec"]["template"]["spec"]["containers"][0]["args"]
                self.assertFalse([a for a in args if a.startswith("--namespaces")], args)


if __name__ == "__main__":
    unittest.main(verbosity=2)
