#!/usr/bin/env python3
"""Issue 6 on the real cluster of e2e/cluster: LeakPolicy playbooks carried out by
`leakguard controller` on leaking workloads (localhost/leaky:1), one namespace per scenario.

  1. restart: a leaking pod of a 2-replica Deployment with a PDB (minAvailable 1) is evicted
     gracefully; the second eviction waits until the first replacement is Ready.
  2. rollback: a Deployment updated from a healthy revision to a leaking one is put back to the
     healthy template; its revision advances; the incident and Events say so.
  3. resizeLimits raises the memory limit of the running container; restartCount unchanged.
  4. enforceQuota creates the LimitRange and ResourceQuota; a pod without limits then gets the
     default limit.
  6. Observe mode and a dry-run step change nothing and record what they would have done.
  7. budgets: five leaking replicas with maxUnavailable 1 are restarted one at a time.
  8. the controller killed in the middle of a playbook and started again repeats no finished
     action.
Item 5 (reschedule with a second node) is in test_reschedule.py: it changes the cluster.

The scenarios of PlaybooksInOneRun share one operator and run at once (a leak takes minutes to
be confirmed); KillInTheMiddle has operators of its own, and CTest runs the two classes at once
(playbooks_e2e, playbooks_kill_e2e). Every operator is scoped to its scenarios' namespaces. Assertions are on the
cluster's objects, the incidents' journals and Events. Another LeakGuard controller acting in
the same cluster (a Helm install's leader, say) would act on these workloads too, and budgets
are per controller: every scenario checks that each action journalled in its namespace was
started by the operator under test, and fails saying so when it was not."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "operator"))
from lgtest import (REPO, Operator, apply, fresh_namespace, kjson, kubectl,  # noqa: E402
                    leaky_deployment, with_readiness)
from lgtest import wait_for as _wait_for  # noqa: E402

OPERATORS = []  # running operators: a wait fails as soon as one of them has died


def wait_for(what, fn, timeout=120, interval=1.0):
    def check():
        for op in OPERATORS:
            if not op.alive():
                raise AssertionError("the operator died (exit %s); its log: %s" %
                                     (op.proc.returncode, open(op.log.name).read()[-2000:]))
        return fn()
    deadline = time.time() + timeout
    while True:
        try:
            return _wait_for(what, check, timeout=min(10, max(1, deadline - time.time())),
                             interval=interval)
        except AssertionError as e:
            if "the operator died" in str(e) or time.time() >= deadline:
                raise

LEAK = dict(LEAK_PATTERN="linear", LEAK_BASE_MIB=16, LEAK_RATE=20, LEAK_START_AFTER=30)
DETECTION = {"minGrowth": "2m"}
SLOW = 900  # seconds: a leak is confirmed after minutes of growth


def setUpModule():
    kubectl("apply", "-f", os.path.join(REPO, "crds"))
    for crd in ("leakpolicies.leakguard.io", "leakincidents.leakguard.io"):
        kubectl("wait", "--for=condition=Established", "crd/" + crd, "--timeout=60s")
    subprocess.run([os.path.join(REPO, "e2e/workloads/build-images")], check=True,
                   capture_output=True)
    others = [p["metadata"]["namespace"] + "/" + p["metadata"]["name"]
              for p in kjson("get", "pods", "-A", "-l", "app.kubernetes.io/name=leakguard")["items"]]
    if others:
        # Not fatal: the journal's optimistic writes keep two controllers from acting twice,
        # and these tests assert on the cluster, not on one operator's logs.
        print("note: other LeakGuard pods run in the cluster: %s" % ", ".join(others),
              file=sys.stderr)


def policy(ns, name, app, playbook, mode="Enforce", budgets=None):
    spec = {"selector": {"matchLabels": {"app": app}}, "mode": mode, "detection": DETECTION,
            "playbook": playbook}
    if budgets:
        spec["budgets"] = budgets
    return {"apiVersion": "leakguard.io/v1alpha1", "kind": "LeakPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def incidents(ns):
    return kjson("get", "leakincidents", "-n", ns)["items"]


def journal(ns):
    """(incident, pod, step, outcome, message) of every journal entry in the namespace."""
    out = []
    for inc in incidents(ns):
        for e in inc.get("status", {}).get("actions", []):
            out.append((inc["metadata"]["name"], inc["spec"]["pod"]["name"], e.get("step"),
                        e.get("outcome"), e.get("message", "")))
    return out


def assert_only_ours(test, ns, *ops):
    """Every action Started in ns was started by one of ops (their logs say so)."""
    ours = {(l.get("incident"), l.get("step")) for op in ops for l in op.logs()
            if l.get("msg") == "playbook action started"}
    foreign = [(x[0], x[2]) for x in journal(ns) if x[3] == "Started" and (x[0], x[2]) not in ours]
    test.assertFalse(foreign, "actions in %s that the operator under test did not start (another "
                     "LeakGuard controller acts in this cluster; stop it or use a cluster of "
                     "your own): %r" % (ns, foreign))


def events(ns, reason):
    return [e for e in kjson("get", "events.events.k8s.io", "-n", ns)["items"]
            if e.get("reason") == reason]


def pods(ns, app):
    return kjson("get", "pods", "-n", ns, "-l", "app=" + app)["items"]


def mib(q):
    """A memory quantity as the API returns it ("300Mi" or bytes) in MiB."""
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for u, f in units.items():
        if q.endswith(u):
            return float(q[:-2]) * f
    return int(q) / (1024 * 1024)


def ts(s):
    return time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


def ready_since(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "Ready" and c["status"] == "True":
            return ts(c["lastTransitionTime"])
    return None


def evicted_at(pod, polled):
    """When the pod was evicted (deleted): its deletionTimestamp less its grace period, in the
    API server's whole seconds like the Ready condition's lastTransitionTime it is compared
    with; the poll's own time (taken before its kubectl call, up to a second early under load)
    only when the pod does not say."""
    meta = pod["metadata"]
    grace = meta.get("deletionGracePeriodSeconds")
    if grace is None:
        return polled
    return min(polled + 1, ts(meta["deletionTimestamp"]) - grace)


class PodWatch:
    """Records, by polling every second in a thread of its own from the start of a scenario,
    when each pod of an app was evicted (evicted_at) and since when it is Ready, to check the
    order of evictions and replacements afterwards."""

    def __init__(self, ns, app):
        self.ns, self.app = ns, app
        self.terminating = {}  # pod name -> first seen terminating (or gone)
        self.ready = {}  # pod name -> Ready since
        self.created = {}
        self.originals = {p["metadata"]["name"] for p in pods(ns, app)}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(1.0):
            try:
                with self.lock:
                    self.poll()
            except Exception:  # a failed kubectl: next second
                pass

    def stop(self):
        self.done.set()
        self.thread.join(10)

    def snapshot(self):
        with self.lock:
            return dict(self.terminating), dict(self.ready), dict(self.created)

    def poll(self):
        now = time.time()
        seen = set()
        for p in pods(self.ns, self.app):
            n = p["metadata"]["name"]
            seen.add(n)
            self.created.setdefault(n, ts(p["metadata"]["creationTimestamp"]))
            if p["metadata"].get("deletionTimestamp"):
                self.terminating.setdefault(n, evicted_at(p, now))
            r = ready_since(p)
            if r and not p["metadata"].get("deletionTimestamp"):
                self.ready.setdefault(n, r)
        for n in self.originals - seen:  # gone between two polls
            self.terminating.setdefault(n, now)


class PlaybooksInOneRun(unittest.TestCase):
    P = "lg-e2e-pb-"

    @classmethod
    def setUpClass(cls):
        ns = cls.P
        for s in ("restart", "rollback", "resize", "quota", "observe", "dryrun", "budget"):
            fresh_namespace(ns + s)

        # 1. restart with a PDB
        # Replacements take three minutes to be Ready: longer than between the two pods'
        # findings (seen up to 106 s apart on a loaded machine), so the PDB holds the second.
        apply(with_readiness(leaky_deployment(ns + "restart", "web", replicas=2, **LEAK), 180))
        apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": {"name": "web", "namespace": ns + "restart"},
               "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
        apply(policy(ns + "restart", "web", "web", [{"name": "restart", "action": "restart"}],
                     budgets={"maxUnavailable": 2, "cooldown": "1s", "maxActionsPerHour": 2}))

        # 2. rollback: revision 1 healthy, revision 2 leaks
        healthy = leaky_deployment(ns + "rollback", "api", LEAK_PATTERN="steady")
        apply(healthy)
        kubectl("rollout", "status", "-n", ns + "rollback", "deployment/api", "--timeout=120s")
        apply(leaky_deployment(ns + "rollback", "api", **LEAK))
        apply(policy(ns + "rollback", "api", "api", [{"name": "undo", "action": "rollback"}]))

        # 3. resizeLimits
        apply(leaky_deployment(ns + "resize", "cache", limit="200Mi", **LEAK))
        apply(policy(ns + "resize", "cache", "cache",
                     [{"name": "grow", "action": "resizeLimits",
                       "params": {"factor": 1.5, "maxLimit": "1Gi"}}]))

        # 4. enforceQuota
        apply(leaky_deployment(ns + "quota", "batch", **LEAK))
        apply(policy(ns + "quota", "batch", "batch",
                     [{"name": "fence", "action": "enforceQuota",
                       "params": {"defaultMemoryLimit": "96Mi", "maxMemoryLimit": "512Mi",
                                  "quotaMemoryLimits": "4Gi"}}]))

        # 6. Observe mode, and a dry-run step in Enforce mode
        apply(leaky_deployment(ns + "observe", "shop", limit="200Mi", **LEAK))
        apply(policy(ns + "observe", "shop", "shop", mode="Observe", playbook=[
            {"name": "evidence", "action": "captureDiagnostics",
             "params": {"port": 6060, "path": "/debug/pprof/heap"}},
            {"name": "fence", "action": "enforceQuota", "params": {"defaultMemoryLimit": "64Mi"}},
            {"name": "restart", "action": "restart"}]))
        apply(leaky_deployment(ns + "dryrun", "shop", **LEAK))
        apply(policy(ns + "dryrun", "shop", "shop", [
            {"name": "mark", "action": "annotate"},
            {"name": "tag", "action": "label",
             "params": {"labels": {"leakguard.io/leaking": "yes"}}},
            {"name": "restart", "action": "restart", "dryRun": True}]))

        # 7. budgets: five replicas, one at a time. Replacements take 50 s to be Ready: longer
        # than between two replicas' findings (15-45 s seen on a loaded machine), so
        # maxUnavailable holds some back.
        apply(with_readiness(leaky_deployment(ns + "budget", "fleet", replicas=5, **LEAK), 50))
        apply(policy(ns + "budget", "fleet", "fleet", [{"name": "restart", "action": "restart"}],
                     budgets={"maxUnavailable": 1, "cooldown": "1s", "maxActionsPerHour": 20}))

        for s, app, n in (("restart", "web", 2), ("budget", "fleet", 5)):
            wait_for("%d pods of %s" % (n, app), lambda: len(pods(ns + s, app)) == n, timeout=120)
        cls.watches = {"restart": PodWatch(ns + "restart", "web"),
                       "budget": PodWatch(ns + "budget", "fleet")}
        cls.observed = {}
        for s in ("observe", "dryrun"):
            p = pods(ns + s, "shop")
            cls.observed[s] = {x["metadata"]["uid"]: x["spec"]["containers"][0]["resources"]
                               for x in p}
        cls.op = Operator(18191, "--no-leader-elect",
                          namespaces=[ns + s for s in ("restart", "rollback", "resize", "quota",
                                                       "observe", "dryrun", "budget")])
        OPERATORS.append(cls.op)

    @classmethod
    def tearDownClass(cls):
        for w in cls.watches.values():
            w.stop()
        OPERATORS.remove(cls.op)
        cls.op.stop()
        for s in ("restart", "rollback", "resize", "quota", "observe", "dryrun", "budget"):
            kubectl("delete", "namespace", cls.P + s, "--wait=false", check=False)

    def test_1_restart_honours_the_pdb_and_waits_for_the_replacement(self):
        ns = self.P + "restart"
        w = self.watches["restart"]
        originals = w.originals
        self.assertEqual(len(originals), 2)
        wait_for("both original pods evicted",
                 lambda: originals <= set(w.snapshot()[0]), timeout=SLOW, interval=2)
        assert_only_ours(self, ns, self.op)
        terminating, ready, _ = w.snapshot()
        first, second = sorted(originals, key=lambda n: terminating[n])
        replacements = [n for n in ready if n not in originals]
        ready_before = [n for n in replacements if ready[n] <= terminating[second]]
        self.assertTrue(ready_before, "the second eviction (%s at %.0f) came before any "
                        "replacement was Ready: %r" % (second, terminating[second], ready))
        j = journal(ns)
        restarted = [x for x in j if x[2] == "restart" and x[3] == "Succeeded"]
        self.assertGreaterEqual(len(restarted), 2, j)
        self.assertTrue(any("PodDisruptionBudget" in x[4] for x in j if x[3] == "Skipped"),
                        "the second eviction was not held back by the PDB: %r" % j)
        self.assertTrue(events(ns, "PodRestarted"))
        assert_only_ours(self, ns, self.op)

    def test_2_rollback_restores_the_healthy_template(self):
        ns = self.P + "rollback"

        def rolled_back():
            d = kjson("get", "deployment", "-n", ns, "api")
            env = {e["name"]: e["value"]
                   for e in d["spec"]["template"]["spec"]["containers"][0].get("env", [])}
            return (d if env.get("LEAK_PATTERN") == "steady" and
                    d["metadata"]["annotations"].get("deployment.kubernetes.io/revision") == "3"
                    else None)
        d = wait_for("deployment back on the healthy template at revision 3", rolled_back,
                     timeout=SLOW, interval=5)
        self.assertNotIn("pod-template-hash", d["spec"]["template"]["metadata"]["labels"])
        j = journal(ns)
        done = [x for x in j if x[2] == "undo" and x[3] == "Succeeded"]
        self.assertEqual(len(done), 1, j)
        self.assertIn("revision 2 -> 1", done[0][4])
        ev = wait_for("RolledBack Event on the deployment",
                      lambda: [e for e in events(ns, "RolledBack")
                               if e["regarding"]["kind"] == "Deployment"], timeout=60)
        self.assertIn("rolled back", ev[0]["note"])
        inc = [i for i in incidents(ns) if i["metadata"]["name"] == done[0][0]][0]
        self.assertEqual(inc["status"]["lastAction"], "rollback")
        assert_only_ours(self, ns, self.op)

    def test_3_resize_raises_the_limit_in_place(self):
        ns = self.P + "resize"
        before = pods(ns, "cache")
        self.assertEqual(len(before), 1)
        uid = before[0]["metadata"]["uid"]

        def resized():
            p = kjson("get", "pod", "-n", ns, before[0]["metadata"]["name"])
            return p if mib(p["spec"]["containers"][0]["resources"]["limits"]["memory"]) != 200 \
                else None
        p = wait_for("the memory limit raised", resized, timeout=SLOW, interval=5)
        self.assertEqual(p["metadata"]["uid"], uid)
        self.assertEqual(mib(p["spec"]["containers"][0]["resources"]["limits"]["memory"]), 300)
        # The kubelet applies it without a restart.
        def applied():
            q = kjson("get", "pod", "-n", ns, p["metadata"]["name"])
            cs = q["status"]["containerStatuses"][0]
            lim = cs.get("resources", {}).get("limits", {}).get("memory")
            return q if lim and mib(lim) == 300 else None
        q = wait_for("the kubelet applied the new limit", applied, timeout=120, interval=3)
        self.assertEqual(q["status"]["containerStatuses"][0]["restartCount"], 0)
        self.assertTrue(events(ns, "LimitsResized"))
        assert_only_ours(self, ns, self.op)

    def test_4_enforce_quota_gives_the_namespace_its_defaults(self):
        ns = self.P + "quota"
        lr = wait_for("the LimitRange", lambda: kjson("get", "limitranges", "-n", ns)["items"],
                      timeout=SLOW, interval=5)[0]
        self.assertEqual(lr["metadata"]["labels"]["app.kubernetes.io/managed-by"], "leakguard")
        self.assertEqual(lr["spec"]["limits"][0]["default"]["memory"], "96Mi")
        self.assertEqual(lr["spec"]["limits"][0]["max"]["memory"], "512Mi")
        rq = kjson("get", "resourcequotas", "-n", ns)["items"]
        self.assertEqual(len(rq), 1)
        self.assertEqual(rq[0]["spec"]["hard"]["limits.memory"], "4Gi")
        apply({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "nolimit", "namespace": ns},
               "spec": {"containers": [{"name": "c", "image": "localhost/leaky:1",
                                        "imagePullPolicy": "Never"}]}})
        p = kjson("get", "pod", "-n", ns, "nolimit")
        self.assertEqual(p["spec"]["containers"][0]["resources"]["limits"]["memory"], "96Mi")
        self.assertTrue(events(ns, "QuotaEnforced"))
        assert_only_ours(self, ns, self.op)

    def test_6_observe_and_dry_run_change_nothing_and_say_what_they_would_do(self):
        for s, steps in (("observe", {"evidence", "fence", "restart"}),
                         ("dryrun", {"restart"})):
            ns = self.P + s
            wait_for("Observed entries in " + ns,
                     lambda: steps <= {x[2] for x in journal(ns) if x[3] == "Observed"},
                     timeout=SLOW, interval=5)
            j = journal(ns)
            for x in j:
                if x[2] in steps:
                    self.assertEqual(x[3], "Observed", j)
                    self.assertIn("would ", x[4])
            now = {x["metadata"]["uid"]: x["spec"]["containers"][0]["resources"]
                   for x in pods(ns, "shop")}
            self.assertEqual(now, self.observed[s], "pods or their limits changed in " + ns)
        ns = self.P + "observe"
        msgs = {x[2]: x[4] for x in journal(ns)}
        self.assertIn("would evict pod", msgs["restart"])
        self.assertIn("would give namespace", msgs["fence"])
        self.assertIn("would GET http://", msgs["evidence"])
        self.assertEqual(kjson("get", "limitranges", "-n", ns)["items"], [])
        self.assertEqual([c for c in kjson("get", "configmaps", "-n", ns)["items"]
                          if "diag" in c["metadata"]["name"]], [])
        # The dry run's neighbours acted: annotate and label are real in Enforce mode (label:
        # an action added with its own files only, issue 11).
        ns = self.P + "dryrun"
        annotated = [p for p in pods(ns, "shop")
                     if "leakguard.io/incident" in p["metadata"].get("annotations", {})]
        self.assertEqual(len(annotated), 1)
        labelled = [p for p in pods(ns, "shop")
                    if p["metadata"].get("labels", {}).get("leakguard.io/leaking") == "yes"]
        self.assertEqual([p["metadata"]["uid"] for p in labelled],
                         [p["metadata"]["uid"] for p in annotated])
        self.assertEqual(labelled[0]["metadata"]["labels"]["app"], "shop")
        self.assertIn(("tag", "Succeeded"), [(x[2], x[3]) for x in journal(ns)])
        self.assertTrue(events(ns, "ActionObserved"))
        for x in ("observe", "dryrun"):
            assert_only_ours(self, self.P + x, self.op)

    def test_7_budgets_restart_five_replicas_one_at_a_time(self):
        ns = self.P + "budget"
        w = self.watches["budget"]
        originals = w.originals
        self.assertEqual(len(originals), 5)
        wait_for("the five evicted", lambda: originals <= set(w.snapshot()[0]),
                 timeout=SLOW, interval=2)
        assert_only_ours(self, ns, self.op)
        terminating, ready, created = w.snapshot()
        order = sorted(originals, key=lambda n: terminating[n])
        for a, b in zip(order, order[1:]):
            # Between two evictions a replacement created after the first became Ready.
            between = [n for n in ready if n not in originals and
                       created[n] >= terminating[a] - 3 and ready[n] <= terminating[b]]
            self.assertTrue(between, "%s evicted at %.0f before any replacement of %s "
                            "(evicted %.0f) was Ready: ready=%r" %
                            (b, terminating[b], a, terminating[a], ready))
        j = journal(ns)
        self.assertTrue(any(x[3] == "Skipped" and "maxUnavailable 1" in x[4] for x in j), j)
        self.assertTrue(events(ns, "ActionSkipped"))
        self.assertIsNotNone(self.op.metric("leakguard_actions_total",
                                            'action="restart",outcome="Succeeded"'))


class QKillInTheMiddle(unittest.TestCase):
    """8. A ladder: resizeLimits at once, restart only when the limit is 4 minutes away. The
    controller is killed (SIGKILL) after the resize and before the restart, then started again:
    the limit is raised once (1.1x, not 1.21x), the resize is not journalled twice, and the
    playbook goes on to the restart. Leaking 40Mi/min from 16Mi under 400Mi, the limit is 9.6
    minutes away: a leak confirmed within 5.6 minutes (3 to 4 here) leaves more than 4, so the
    resize comes first (at 50Mi/min a confirmation after 3.9 minutes once went straight to the
    restart). Raised to 440Mi, the restart is due ~2.7 minutes after the resize, and the new
    controller, which must confirm the leak again, has ~6.5 minutes before the limit."""
    NS = "lg-e2e-pb-kill"

    @classmethod
    def setUpClass(cls):
        fresh_namespace(cls.NS)
        apply(leaky_deployment(cls.NS, "svc", limit="400Mi", LEAK_PATTERN="linear",
                               LEAK_BASE_MIB=16, LEAK_RATE=40, LEAK_START_AFTER=30))
        apply(policy(cls.NS, "svc", "svc", [
            {"name": "grow", "action": "resizeLimits", "params": {"factor": 1.1}},
            {"name": "restart", "action": "restart", "when": {"exhaustionWithin": "4m"}}],
            budgets={"cooldown": "1s"}))
        cls.ops = []

    @classmethod
    def tearDownClass(cls):
        for op in cls.ops:
            if op in OPERATORS:
                OPERATORS.remove(op)
            op.stop()
        kubectl("delete", "namespace", cls.NS, "--wait=false", check=False)

    def test_8_a_killed_controller_repeats_no_finished_action(self):
        pod = pods(self.NS, "svc")[0]["metadata"]["name"]
        op = Operator(18192, "--no-leader-elect", namespaces=[self.NS])
        self.ops.append(op)
        OPERATORS.append(op)
        wait_for("the resize journalled", lambda: any(
            x[2] == "grow" and x[3] == "Succeeded" for x in journal(self.NS)),
            timeout=SLOW, interval=2)
        self.assertFalse(any(x[2] == "restart" for x in journal(self.NS)),
                         "the restart came too early to kill in between: %r" % journal(self.NS))
        OPERATORS.remove(op)
        op.stop(signal.SIGKILL)
        limit = kjson("get", "pod", "-n", self.NS, pod)["spec"]["containers"][0]["resources"]
        self.assertEqual(mib(limit["limits"]["memory"]), 440)

        op2 = Operator(18193, "--no-leader-elect", namespaces=[self.NS])
        self.ops.append(op2)
        OPERATORS.append(op2)
        wait_for("the restart after the new controller took over", lambda: any(
            x[2] == "restart" and x[3] == "Succeeded" for x in journal(self.NS)),
            timeout=SLOW, interval=2)
        assert_only_ours(self, self.NS, op, op2)
        j = [x for x in journal(self.NS) if x[1] == pod]
        self.assertEqual([x[3] for x in j if x[2] == "grow"], ["Started", "Succeeded"], j)
        self.assertEqual([x[3] for x in j if x[2] == "restart"], ["Started", "Succeeded"], j)
        self.assertTrue(any(l.get("msg") == "playbook action done" and
                            "restart" == l.get("action") for l in op2.logs()))
        self.assertFalse(any(l.get("msg") == "playbook action started" and
                             l.get("step") == "grow" for l in op2.logs()),
                         "the new controller started the resize again")


if __name__ == "__main__":
    unittest.main(verbosity=2)
