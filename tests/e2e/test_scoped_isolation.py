#!/usr/bin/env python3
"""Two LeakGuards scoped to namespaces of their own share the cluster and never act on each
other's workloads (issue 10): what lets the cluster scenarios run at once, and what teams that
share a cluster ask for.

Namespaces a, b and c each run the same leaking Deployment under the same Enforce policy (one
`annotate` step). Controller A runs with --namespaces <a>, controller B with --namespaces <b>;
nobody watches c. Once both leaks are confirmed and annotated:
  - every incident, journal entry and annotation in a is A's, in b is B's (their logs name
    every action they started);
  - every Event A recorded, anywhere in the cluster, is in a; every one of B's in b;
  - every policy either one reconciled or logged is in its own namespace;
  - in c there is no incident, no status on the policy and no annotation on the pod."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "operator"))
from lgtest import (Operator, apply, fresh_namespace, kjson, kubectl,  # noqa: E402
                    leaky_deployment, wait_for)

P = "lg-e2e-scope-"
A, B, C = P + "a", P + "b", P + "c"
# 30 MiB a minute from 16 MiB under 256Mi: confirmed after ~2.5 min of growth, far from the limit.
LEAK = dict(LEAK_PATTERN="linear", LEAK_BASE_MIB=16, LEAK_RATE=30, LEAK_START_AFTER=10)


def policy(ns):
    return {"apiVersion": "leakguard.io/v1alpha1", "kind": "LeakPolicy",
            "metadata": {"name": "guard", "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": "svc"}}, "mode": "Enforce",
                     "detection": {"minGrowth": "2m"},
                     "playbook": [{"name": "mark", "action": "annotate"}],
                     "budgets": {"cooldown": "1s"}}}


def journal(ns):
    return [(i["metadata"]["name"], e.get("step"), e.get("outcome"))
            for i in kjson("get", "leakincidents", "-n", ns)["items"]
            for e in i.get("status", {}).get("actions", [])]


def namespace_of(key):
    return key.split("/", 1)[0] if key and "/" in key else None


class ScopedIsolation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for ns in (A, B, C):
            fresh_namespace(ns)
            apply(policy(ns))
            apply(leaky_deployment(ns, "svc", **LEAK))
        cls.ops = {A: Operator(18196, "--no-leader-elect", "--log-level", "debug", namespaces=[A]),
                   B: Operator(18197, "--no-leader-elect", "--log-level", "debug", namespaces=[B])}

    @classmethod
    def tearDownClass(cls):
        for op in cls.ops.values():
            op.stop()
        for ns in (A, B, C):
            kubectl("delete", "namespace", ns, "--wait=false", check=False)

    def test_each_leakguard_acts_in_its_own_namespaces_only(self):
        for ns, op in self.ops.items():
            wait_for("the leak in %s annotated" % ns, lambda: (
                self.assertTrue(op.alive(), "the controller of %s died" % ns) or
                ("mark", "Succeeded") in [(s, o) for _, s, o in journal(ns)]),
                timeout=900, interval=3)

        for ns, op in self.ops.items():
            other = B if ns == A else A
            logs = op.logs()
            # Every policy it logged about (reconciles, findings, actions) is its own.
            keys = {l.get(f) for l in logs for f in ("policy", "key") if l.get(f)}
            self.assertTrue(keys, "no policy in the log of the controller of %s" % ns)
            self.assertEqual({namespace_of(k) for k in keys}, {ns}, sorted(keys))
            # It started every action journalled in its namespace, and none in the other's.
            started = {(l.get("incident"), l.get("step")) for l in logs
                       if l.get("msg") == "playbook action started"}
            mine = {(i, s) for i, s, o in journal(ns) if o == "Started"}
            self.assertTrue(mine)
            self.assertEqual(mine - started, set(), "actions in %s started by another" % ns)
            theirs = {(i, s) for i, s, o in journal(other) if o == "Started"}
            self.assertEqual(theirs & started, set(), "the controller of %s acted in %s"
                             % (ns, other))
            # Its Events, wherever they are in the cluster, are in its namespace.
            events = [e for e in kjson("get", "events.events.k8s.io", "-A")["items"]
                      if e.get("reportingInstance") == op.identity()]
            self.assertTrue(events, "no Event of the controller of %s" % ns)
            self.assertEqual({e["metadata"]["namespace"] for e in events}, {ns})
            self.assertEqual({e["regarding"].get("namespace") for e in events}, {ns})

        # Nobody watches c: the same leak there is neither reported nor touched.
        self.assertEqual(kjson("get", "leakincidents", "-n", C)["items"], [])
        self.assertEqual(kjson("get", "lp", "-n", C, "guard").get("status", {}), {})
        for p in kjson("get", "pods", "-n", C)["items"]:
            self.assertNotIn("leakguard.io/incident", p["metadata"].get("annotations", {}))


if __name__ == "__main__":
    unittest.main(verbosity=2)
