#!/usr/bin/env python3
"""The chart's RBAC, rendered for every variant of the values: no wildcard anywhere, nothing
that lets LeakGuard escalate or read secrets, every rule in a Role or ClusterRole explained by a
comment in its template, and each ServiceAccount bound only to its own component's roles."""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkgtest import CHART, VARIANTS, render, yaml  # noqa: E402

ROLE_KINDS = ("Role", "ClusterRole")
# Verbs and resources that would let a compromised LeakGuard become someone else or read
# what it must never record (DESIGN.md: no tokens, env values or Secret contents).
FORBIDDEN_VERBS = {"bind", "escalate", "impersonate", "deletecollection", "*"}
FORBIDDEN_RESOURCES = {"secrets", "serviceaccounts/token", "pods/exec", "pods/attach",
                       "pods/portforward", "pods/proxy", "nodes/proxy", "services/proxy",
                       "clusterroles", "roles", "clusterrolebindings", "rolebindings",
                       "mutatingwebhookconfigurations",
                       "validatingwebhookconfigurations", "customresourcedefinitions"}


def rules_of(objs):
    for o in objs:
        if o["kind"] in ROLE_KINDS:
            for r in o.get("rules", []):
                yield o["kind"] + "/" + o["metadata"]["name"], r


def grants(rules):
    """A rule list as a set of (apiGroup, resource, verb, resourceName or "*")."""
    return {(g, res, v, n) for r in rules for g in r["apiGroups"] for res in r["resources"]
            for v in r["verbs"] for n in (r.get("resourceNames") or ["*"])}


def controller_grants(objs):
    """The controller's grants per scope: its ClusterRole, or each namespace's Role plus the
    cluster-wide nodes role; not the Lease's or the agents' pods' Roles."""
    roles = [o for o in objs if o["kind"] in ROLE_KINDS
             and o["metadata"]["labels"].get("app.kubernetes.io/name") == "leakguard-controller"
             and not o["metadata"]["name"].endswith(("-leader-election", "-agent-pods"))]
    wide = ("-nodes", "-agent-certificates")  # cluster-wide kinds beside namespaced Roles
    nodes = set()
    for o in roles:
        if o["metadata"]["name"].endswith(wide):
            nodes |= grants(o["rules"])
    out = {}
    for o in roles:
        if not o["metadata"]["name"].endswith(wide):
            scope = "%s/%s" % (o["kind"], o["metadata"].get("namespace", ""))
            out[scope] = grants(o["rules"]) | nodes
    return out


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
        the only cluster-wide grants left are nodes and the agents' certificates (controller),
        TokenReviews and its own certificate (agent): cluster-scoped kinds."""
        # agent.podSource=api: the agent reads pods too (as Roles here); the default reads none.
        wide = {o["metadata"]["name"]: o for o in render({"agent.podSource": "api"})
                if o["kind"] == "ClusterRole"}
        objs = render({"watchNamespaces": "{shop,billing}", "agent.podSource": "api"})
        cluster = {o["metadata"]["name"]: o["rules"] for o in objs if o["kind"] == "ClusterRole"}
        self.assertEqual(sorted(cluster), ["leakguard-agent",
                                           "leakguard-controller-agent-certificates",
                                           "leakguard-controller-nodes"])
        self.assertEqual([r["resources"] for r in cluster["leakguard-controller-nodes"]],
                         [["nodes"]])
        self.assertEqual({g for r in cluster["leakguard-controller-agent-certificates"]
                          for g in r["apiGroups"]}, {"certificates.k8s.io"})
        self.assertEqual([r["resources"] for r in cluster["leakguard-agent"]],
                         [["tokenreviews"], ["certificatesigningrequests"]])
        roles = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["rules"]
                 for o in objs if o["kind"] == "Role"}
        ctrl_rules = [r for r in wide["leakguard-controller"]["rules"]
                      if r["resources"] != ["nodes"] and r["apiGroups"] != ["certificates.k8s.io"]]
        agent_rules = [r for r in wide["leakguard-agent"]["rules"]
                       if r["resources"] not in (["tokenreviews"], ["certificatesigningrequests"])]
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

    def test_the_controllers_rules_are_exactly_what_its_code_declares(self):
        """For every variant, and for each action enabled alone, the controller's rules are
        exactly `leakguard rbac` for the same --actions and --node-access: the union of what the
        enabled actions declare (Action::permissions, checked against the calls each action makes
        in its unit tests) and the controller's own (controller_permissions.cpp). Leader
        election's Lease and the agents' pods are Roles of their own, tested above."""
        leakguard = os.environ.get("LEAKGUARD_BIN")
        self.assertTrue(leakguard and os.access(leakguard, os.X_OK),
                        "LEAKGUARD_BIN must name the built leakguard (tests/packaging/CMakeLists.txt)")
        with open(os.path.join(CHART, "values.yaml")) as f:
            actions = sorted(yaml.safe_load(f)["actions"])
        cases = dict(VARIANTS)
        for a in actions:  # one action at a time: each one's rules and nothing else's
            cases["only-" + a] = {"actions.%s" % b: str(b == a).lower() for b in actions}
        cases["reschedule-without-node-access"] = {"actions.reschedule": "true",
                                                   "controller.nodeAccess": "false"}
        checked = 0
        for variant, values in cases.items():
            objs = render(values)
            args = [o for o in objs if o["kind"] == "Deployment"][0]["spec"]["template"]["spec"][
                "containers"][0]["args"]
            flags = [a for a in args if a.startswith("--actions=")]
            self.assertEqual(len(flags), 1, args)
            cmd = [leakguard, "rbac", "-o", "json", flags[0]]
            if "--no-node-access" in args:
                cmd.append("--no-node-access")
            if [a for a in args if a.startswith("--agent-signer-key-file=")]:
                cmd.append("--agent-signer")
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            want = grants(json.loads(r.stdout))
            for scope, rules in controller_grants(objs).items():
                self.assertEqual(sorted(rules - want), [], "%s, %s: granted, not declared" %
                                 (variant, scope))
                self.assertEqual(sorted(want - rules), [], "%s, %s: declared, not granted" %
                                 (variant, scope))
                checked += 1
        self.assertGreaterEqual(checked, len(cases))

    def test_by_default_the_agent_reads_no_pod(self):
        """agent.podSource=kubelet (the default): the agent learns its node's pods from the
        kubelet's log links, so no rule of it names pods, cluster-wide or in any namespace."""
        for variant, values in VARIANTS.items():
            if values.get("agent.podSource") == "api":
                continue
            for where, rule in rules_of(render(values)):
                if "-agent" in where and "-controller" not in where:
                    self.assertNotIn("pods", rule["resources"], "%s (%s)" % (where, variant))
        ds = [o for o in render({}) if o["kind"] == "DaemonSet"][0]["spec"]["template"]["spec"]
        self.assertIn("--container-log-links=/host/var/log/containers",
                      ds["containers"][0]["args"])
        [vol] = [v for v in ds["volumes"] if v["name"] == "host-container-logs"]
        self.assertEqual(vol["hostPath"]["path"], "/var/log/containers")
        [mount] = [m for m in ds["containers"][0]["volumeMounts"]
                   if m["name"] == "host-container-logs"]
        self.assertTrue(mount["readOnly"])

    def test_certificate_requests_only_the_agents_own_signer(self):
        """The agent may create and read CertificateSigningRequests (its own certificate); the
        controller may approve and sign for leakguard.io/agent-serving only, never for another
        signer (a kubelet's client certificate would be a node's identity). Shared certificates
        (perNode false) or no agent: no CSR rights at all."""
        for variant, values in VARIANTS.items():
            objs = render(values)
            per_node = any("--certificate-signer=leakguard.io/agent-serving" in a
                           for o in objs if o["kind"] == "DaemonSet"
                           for a in o["spec"]["template"]["spec"]["containers"][0]["args"])
            seen = set()
            for where, rule in rules_of(objs):
                res = set(rule["resources"])
                if "signers" in res:
                    self.assertEqual(rule.get("resourceNames"), ["leakguard.io/agent-serving"],
                                     "%s (%s): %r" % (where, variant, rule))
                    self.assertEqual(sorted(rule["verbs"]), ["approve", "sign"])
                    seen.add("signers")
                if any(r.startswith("certificatesigningrequests") for r in res):
                    self.assertTrue(per_node, "%s (%s): CSR rights without per-node certificates"
                                    % (where, variant))
                    if "-agent" in where and "-controller" not in where:
                        self.assertEqual(sorted(rule["verbs"]), ["create", "get"], where)
                        seen.add("agent")
                    else:
                        self.assertNotIn("create", rule["verbs"], where)
                        seen.add("controller")
            if per_node:
                self.assertEqual(seen, {"signers", "agent", "controller"}, variant)
        shared = render({"agent.tls.perNode": "false"})
        self.assertFalse([r for _, r in rules_of(shared) if "signers" in r["resources"]
                          or "certificatesigningrequests" in r["resources"]])

    def test_a_disabled_action_is_refused_by_name(self):
        leakguard = os.environ.get("LEAKGUARD_BIN")
        self.assertTrue(leakguard, "LEAKGUARD_BIN must name the built leakguard")
        r = subprocess.run([leakguard, "rbac", "--actions", "restart,bogus"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn('no action "bogus"; the actions are annotate, captureDiagnostics', r.stderr)

    def test_unscoped_has_no_namespaces_flag(self):
        for o in render({}):
            if o["kind"] in ("Deployment", "DaemonSet"):
                args = o["spec"]["template"]["spec"]["containers"][0]["args"]
                self.assertFalse([a for a in args if a.startswith("--namespaces")], args)


if __name__ == "__main__":
    unittest.main(verbosity=2)
