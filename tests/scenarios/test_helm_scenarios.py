#!/usr/bin/env python3
"""What LeakGuard is for, end to end, with LeakGuard installed by `helm install` on the local
cluster of e2e/cluster. All scenarios run at once, each in its own namespace, for the time the
unprotected leak needs to be OOM-killed:

- oom:    a leaking pod (256Mi limit, ~40 MiB/min) under an Observe policy (decide and
          record, never act) ends OOMKilled, and its incident says the leak was seen;
- heal:   the same workload under an Enforce policy is restarted gracefully (Eviction API)
          before any OOM kill: no container of the namespace is ever OOMKilled, and the test
          prints the lead between the restart and the forecast exhaustion;
- benign: a cache warm-up to a plateau, a steady GC-like sawtooth and a steady service under
          the same Enforce policy: no incident, no action, no pod replaced or restarted;
- fds:    a file-descriptor leak under an Enforce policy watching fds is detected and the pod
          restarted;
- rollback: a Deployment updated from a healthy revision to a leaking one is put back on the
          healthy template (what `kubectl rollout undo` does), and the incident and Events say so;
- alerts: a real Prometheus (tests/alerts/prometheus_server.py) scrapes the controllers and the
          agent at the ports their prometheus.io annotations give, with LeakGuard's rules: the
          leak alert fires for the observed leak, never for the benign workloads, and the
          health alerts stay silent;
- top:    `kubectl leakguard top` (the binary as a kubectl plugin) lists the observed leak while
          its incident is open; `kubectl leakguard status` sees the policies Ready, the agent
          Ready and metrics-server Available;
- explain: `kubectl leakguard explain` tells the observed leak's evidence in words and draws its
          usage, trend, forecast and limit from the incident's status.usage;
- recommend: `kubectl leakguard recommend` sizes the benign workloads near their use (the
          warm-up near its plateau, the sawtooth to its peaks) plus the stated headroom, and
          gives the observed leak no size but what a bigger limit would buy.

Standard library plus PyYAML (the chart's values)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "packaging"))
sys.path.insert(0, os.path.join(HERE, "..", "integration", "operator"))
sys.path.insert(0, os.path.join(HERE, "..", "alerts"))
from pkgtest import CHART, ENV, REPO, helm, yaml  # noqa: E402
from prometheus_server import PrometheusServer  # noqa: E402
from lgtest import (apply, fresh_namespace, kjson, kubectl, leaky_deployment,  # noqa: E402
                    leakguard_binary, leakguard_image)

REL = "lg-scn"
NS = "lg-scn-system"
OOM, HEAL, BENIGN, FDS = "lg-scn-oom", "lg-scn-heal", "lg-scn-benign", "lg-scn-fds"
ROLLBACK = "lg-scn-rollback"
ALL = (OOM, HEAL, BENIGN, FDS, ROLLBACK)
LEAK = dict(LEAK_PATTERN="linear", LEAK_BASE_MIB=32, LEAK_RATE=40)  # 256Mi reached in ~5.6 min
DETECTION = {"minGrowth": "2m"}  # a test is short; the default is 1h
RUN_LIMIT = 20 * 60  # seconds: the unprotected leak is OOM-killed well before
RECOMMEND = {"minHistory": "3m"}  # sizing after 3 minutes of usage; the default is 1h
MI = 1 << 20


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def policy(ns, selector, resources, playbook, **spec):
    s = {"selector": {"matchLabels": selector}, "mode": "Enforce", "resources": resources,
         "detection": DETECTION, "playbook": playbook,
         "budgets": {"maxUnavailable": 1, "maxActionsPerHour": 10, "cooldown": "2m"}}
    s.update(spec)
    return {"apiVersion": "leakguard.io/v1alpha1", "kind": "LeakPolicy",
            "metadata": {"name": "guard", "namespace": ns}, "spec": s}


def restart_step(within):
    return [{"name": "restart", "action": "restart", "when": {"exhaustionWithin": within},
             "params": {"strategy": "evict"}}]


def oom_killed(pod):
    """Names of the pod's containers that were OOM-killed (now or as their last state)."""
    out = []
    for c in pod.get("status", {}).get("containerStatuses", []):
        for state in (c.get("state", {}), c.get("lastState", {})):
            if state.get("terminated", {}).get("reason") == "OOMKilled":
                out.append(c["name"])
    return out


def incidents(ns):
    return kjson("get", "leakincidents", "-n", ns)["items"]


def succeeded_actions(inc, action):
    return [a for a in inc.get("status", {}).get("actions", [])
            if a.get("action") == action and a.get("outcome") == "Succeeded"]


def parse_time(s):
    return time.mktime(time.strptime(s.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S")) - time.timezone


def scrape_targets():
    """The release's pods that ask to be scraped, as Prometheus would discover them by their
    annotations, with job named after app.kubernetes.io/name (leakguard-controller and
    leakguard-agent, the jobs the alerts select)."""
    out = []
    for p in kjson("get", "pods", "-n", NS)["items"]:
        ann = p["metadata"].get("annotations", {})
        if ann.get("prometheus.io/scrape") != "true" or not p["status"].get("podIP"):
            continue
        assert ann.get("prometheus.io/path") == "/metrics", ann
        out.append({"targets": ["%s:%s" % (p["status"]["podIP"], ann["prometheus.io/port"])],
                    "labels": {"job": p["metadata"]["labels"]["app.kubernetes.io/name"],
                               "namespace": NS, "pod": p["metadata"]["name"]}})
    return out


def kubectl_leakguard(tmp, *args):
    """`kubectl leakguard ARGS`: kubectl finds the plugin kubectl-leakguard on its PATH."""
    plugin = os.path.join(tmp, "kubectl-leakguard")
    if not os.path.exists(plugin):
        os.symlink(leakguard_binary(), plugin)
    env = dict(ENV, PATH=tmp + os.pathsep + ENV["PATH"])
    return subprocess.run(["kubectl", "leakguard", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def cleanup():
    helm("uninstall", REL, "-n", NS, "--wait", "--timeout", "120s", check=False)
    for ns in ALL + (NS,):
        kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false", check=False)


class Scenarios(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cleanup()
        for ns in ALL:
            fresh_namespace(ns)
        kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=true", timeout=180)
        tag = leakguard_image().split(":", 1)[1]
        subprocess.run([os.path.join(REPO, "e2e/workloads/build-images")], check=True,
                       capture_output=True, timeout=600)
        values = os.path.join(cls.tmp.name, "values.yaml")
        with open(values, "w") as f:
            # Scoped to the scenarios' namespaces: other tests share the cluster meanwhile.
            yaml.safe_dump({"image": {"tag": tag, "pullPolicy": "Never"},
                            "watchNamespaces": list(ALL),
                            "controller": {"resyncSeconds": 10},
                            # The rollback scenario: off by default (it patches pod templates).
                            "actions": {"rollback": True},
                            "agent": {"interval": "5s"}}, f)
        kubectl("apply", "-f", os.path.join(REPO, "crds"))
        helm("install", REL, CHART, "-n", NS, "--create-namespace", "-f", values, "--wait",
             "--timeout", "180s")
        log("LeakGuard installed with helm (release %s in %s)" % (REL, NS))
        cls.prom = PrometheusServer(ENV)
        cls.prom.start()
        cls.prom.set_targets(scrape_targets())
        log("prometheus on 127.0.0.1:%d scraping %s" % (cls.prom.port, scrape_targets()))

        # Rollback: revision 1 is healthy and rolled out; revision 2 (below) leaks.
        apply(leaky_deployment(ROLLBACK, "api", LEAK_PATTERN="steady", LEAK_BASE_MIB=32))
        kubectl("rollout", "status", "-n", ROLLBACK, "deployment/api", "--timeout=120s")

        # The workloads start together; the policies are in place before they do.
        apply(policy(ROLLBACK, {"app": "api"}, ["memory"],
                     [{"name": "undo", "action": "rollback"}]))
        apply(leaky_deployment(ROLLBACK, "api", **LEAK))
        apply(policy(HEAL, {"app": "leaky"}, ["memory"], restart_step("30m")))
        # Benign workloads get the most eager policy: any forecast within two days acts.
        apply(policy(BENIGN, {"tier": "benign"}, ["memory", "fds", "threads"],
                     restart_step("48h"), recommendations=RECOMMEND))
        apply(policy(FDS, {"app": "fdleak"}, ["fds"], restart_step("48h")))
        apply(policy(OOM, {"app": "leaky"}, ["memory"], restart_step("30m"), mode="Observe",
                     recommendations=RECOMMEND))
        for ns in (OOM, HEAL):
            apply(leaky_deployment(ns, "leaky", **LEAK))
        benign = {
            "warmup": dict(LEAK_PATTERN="warmup", LEAK_BASE_MIB=32, LEAK_AMPLITUDE_MIB=80,
                           LEAK_PERIOD=90),
            "sawtooth": dict(LEAK_PATTERN="sawtooth", LEAK_BASE_MIB=48, LEAK_AMPLITUDE_MIB=64,
                             LEAK_PERIOD=60),
            "steady": dict(LEAK_PATTERN="steady", LEAK_BASE_MIB=64),
        }
        for name, env in benign.items():
            d = leaky_deployment(BENIGN, name, **env)
            d["spec"]["template"]["metadata"]["labels"]["tier"] = "benign"
            apply(d)
        # 1200 fds a minute towards the containers' soft limit (20000 here): exhausted in ~17 min.
        apply(leaky_deployment(FDS, "fdleak", LEAK_PATTERN="fd", LEAK_RATE=1200))
        cls.start = time.time()
        cls.benign_pods = None
        cls.oom_at = None
        cls.oomed = {}  # namespace -> {pod: containers}
        cls.history = []
        cls.top_seen = None  # (json, table) of `kubectl leakguard top` with the leak open
        cls.explained = None  # (incident, output) of `kubectl leakguard explain`, leak open
        cls.leak_sizing = None  # `kubectl leakguard recommend -n OOM -o json`, leak open
        cls.run_scenarios()

    @classmethod
    def run_scenarios(cls):
        """Polls every 10 s until the unprotected pod is OOM-killed and the Enforce scenarios
        have acted (or RUN_LIMIT passes), recording every OOM kill it sees on the way."""
        healed = fd_healed = rolled_back = False
        while time.time() - cls.start < RUN_LIMIT:
            for ns in ALL:
                for p in kjson("get", "pods", "-n", ns)["items"]:
                    k = oom_killed(p)
                    if k:
                        cls.oomed.setdefault(ns, {})[p["metadata"]["name"]] = k
            if cls.benign_pods is None:
                ps = kjson("get", "pods", "-n", BENIGN)["items"]
                if len(ps) == 3 and all(p["status"].get("phase") == "Running" for p in ps):
                    cls.benign_pods = {p["metadata"]["uid"] for p in ps}
            if cls.top_seen is None:
                cls.look_with_top()
            if cls.explained is None or cls.leak_sizing is None:
                cls.explain_and_size_the_leak()
            if cls.oom_at is None and OOM in cls.oomed:
                cls.oom_at = time.time() - cls.start
                log("%s: OOMKilled after %.0fs under the Observe policy" % (OOM, cls.oom_at))
            if not healed:
                healed = any(succeeded_actions(i, "restart") for i in incidents(HEAL))
                if healed:
                    log("%s: restarted by LeakGuard after %.0fs" % (HEAL, time.time() - cls.start))
            if not fd_healed:
                fd_healed = any(succeeded_actions(i, "restart") for i in incidents(FDS))
                if fd_healed:
                    log("%s: fd leak restarted after %.0fs" % (FDS, time.time() - cls.start))
            if not rolled_back:
                rolled_back = any(succeeded_actions(i, "rollback") for i in incidents(ROLLBACK))
                if rolled_back:
                    log("%s: rolled back after %.0fs" % (ROLLBACK, time.time() - cls.start))
            if cls.oom_at is not None and healed and fd_healed and rolled_back:
                break
            time.sleep(10)
        log("scenarios ran %.0fs" % (time.time() - cls.start))
        for ns in ALL:
            print(kubectl("get", "pods,leakincidents", "-n", ns, check=False).stdout, flush=True)

    @classmethod
    def look_with_top(cls):
        """Once the observed leak's incident is open: what `kubectl leakguard top` shows."""
        open_now = {i["metadata"]["name"] for i in incidents(OOM)
                    if i.get("status", {}).get("state") in ("Open", "Mitigating")}
        if not open_now:
            return
        r = kubectl_leakguard(cls.tmp.name, "top", "-n", OOM, "-o", "json")
        if r.returncode != 0:
            log("kubectl leakguard top failed (%d): %s" % (r.returncode, r.stderr))
            return
        if open_now & {it["incident"] for it in json.loads(r.stdout)["items"]}:
            table = kubectl_leakguard(cls.tmp.name, "top", "-n", OOM)
            cls.top_seen = (json.loads(r.stdout), table.stdout)
            log("kubectl leakguard top -n %s:\n%s" % (OOM, table.stdout))

    @classmethod
    def explain_and_size_the_leak(cls):
        """While the observed leak's incident is open (and its usage recorded): what `kubectl
        leakguard explain` says of it, and what `recommend` says of its workload."""
        open_now = [i for i in incidents(OOM)
                    if i.get("status", {}).get("state") in ("Open", "Mitigating")
                    and i["status"].get("usage", {}).get("points")]
        if not open_now:
            return
        if cls.explained is None:
            name = open_now[0]["metadata"]["name"]
            r = kubectl_leakguard(cls.tmp.name, "explain", name, "-n", OOM)
            if r.returncode != 0:
                log("kubectl leakguard explain failed (%d): %s" % (r.returncode, r.stderr))
            else:
                cls.explained = (open_now[0], r.stdout)
                log("kubectl leakguard explain %s -n %s:\n%s" % (name, OOM, r.stdout))
        if cls.leak_sizing is None:
            r = kubectl_leakguard(cls.tmp.name, "recommend", "-n", OOM, "-o", "json")
            items = json.loads(r.stdout)["items"] if r.returncode == 0 else []
            if any(it.get("shape") == "leaking" for it in items):
                cls.leak_sizing = items
                log("kubectl leakguard recommend -n %s:\n%s" % (
                    OOM, kubectl_leakguard(cls.tmp.name, "recommend", "-n", OOM).stdout))

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "prom", None):
            cls.prom.stop()
        cleanup()
        cls.tmp.cleanup()

    def test_1_unprotected_leak_is_oom_killed(self):
        self.assertIsNotNone(self.oom_at, "the leak under an Observe policy was never "
                                          "OOM-killed in %ds" % RUN_LIMIT)
        incs = [i for i in incidents(OOM) if i["spec"]["resource"] == "memory"]
        self.assertTrue(incs, "the Observe policy recorded no incident in %s" % OOM)
        self.assertEqual([a for i in incs for a in succeeded_actions(i, "restart")], [],
                         "an Observe policy acted")

    def test_1_protected_leak_is_restarted_gracefully_before_any_oom_kill(self):
        self.assertNotIn(HEAL, self.oomed, "OOM kills under the Enforce policy: %s"
                         % self.oomed.get(HEAL))
        restarted = [(i, a) for i in incidents(HEAL) for a in succeeded_actions(i, "restart")]
        self.assertTrue(restarted, "no incident of %s has a successful restart" % HEAL)
        inc, action = min(restarted, key=lambda ia: parse_time(ia[1]["time"]))  # the first
        self.assertEqual(inc["spec"]["resource"], "memory")
        exhaustion_at = inc["status"]["evidence"]["exhaustionAt"]
        lead = parse_time(exhaustion_at) - parse_time(action["time"])
        log("lead between the restart (%s) and the forecast exhaustion (%s): %.0fs (%.1f min)"
            % (action["time"], exhaustion_at, lead, lead / 60))
        self.assertGreater(lead, 0)
        events = kjson("get", "events", "-n", HEAL)["items"]
        self.assertTrue([e for e in events if e.get("reason") == "PodRestarted"],
                        "no PodRestarted Event in %s" % HEAL)
        # The evicted pod was replaced by its Deployment.
        self.assertNotEqual(kjson("get", "deploy", "-n", HEAL, "leaky")["status"]
                            .get("readyReplicas", 0), 0)

    def test_2_benign_workloads_get_no_incident_and_no_action(self):
        self.assertIsNotNone(self.benign_pods, "the benign workloads never all ran")
        self.assertEqual(incidents(BENIGN), [])
        ps = kjson("get", "pods", "-n", BENIGN)["items"]
        self.assertEqual({p["metadata"]["uid"] for p in ps}, self.benign_pods,
                         "benign pods were replaced")
        for p in ps:
            for c in p["status"].get("containerStatuses", []):
                self.assertEqual(c.get("restartCount", 0), 0, p["metadata"]["name"])
        st = kjson("get", "lp", "-n", BENIGN, "guard")["status"]
        self.assertEqual(st.get("matchedPods"), 3)
        self.assertEqual(st.get("leakingPods"), 0)

    def test_3_fd_leak_is_detected_and_remediated(self):
        incs = [i for i in incidents(FDS) if i["spec"]["resource"] == "fds"]
        self.assertTrue(incs, "no fds incident in %s" % FDS)
        self.assertTrue([a for i in incs for a in succeeded_actions(i, "restart")],
                        "the fd leak was not restarted: %s"
                        % json.dumps([i.get("status") for i in incs]))

    def test_4_rollback_restores_the_healthy_template(self):
        d = kjson("get", "deployment", "-n", ROLLBACK, "api")
        env = {e["name"]: e["value"]
               for e in d["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        self.assertEqual(env.get("LEAK_PATTERN"), "steady", "not back on the healthy template")
        self.assertEqual(d["metadata"]["annotations"].get("deployment.kubernetes.io/revision"),
                         "3", "rolling back makes revision 1's template revision 3")
        done = [(i, a) for i in incidents(ROLLBACK) for a in succeeded_actions(i, "rollback")]
        self.assertEqual(len(done), 1, [i.get("status") for i in incidents(ROLLBACK)])
        self.assertIn("revision 2 -> 1", done[0][1].get("message", ""))
        self.assertEqual(done[0][0]["status"]["lastAction"], "rollback")
        events = [e for e in kjson("get", "events", "-n", ROLLBACK)["items"]
                  if e.get("reason") == "RolledBack"
                  and e.get("involvedObject", {}).get("kind") == "Deployment"]
        self.assertTrue(events, "no RolledBack Event on the Deployment")
        self.assertNotIn(ROLLBACK, self.oomed, "OOM kills in %s: %s"
                         % (ROLLBACK, self.oomed.get(ROLLBACK)))

    def test_5_prometheus_scrapes_leakguard_and_the_leak_alert_fires(self):
        prom = self.prom
        try:
            up = {(m["job"], m["pod"]): v for m, v in prom.query('up{job=~"leakguard-.*"}')}
            self.assertEqual(sorted(j for j, _ in up), ["leakguard-agent",
                                                         "leakguard-controller",
                                                         "leakguard-controller"], up)
            self.assertEqual(set(up.values()), {1.0}, up)
            # The leak alert fired for the observed leak at some point of the run.
            leak_alerts = 'ALERTS{alertname=~"LeakGuardLeakConfirmed|LeakGuardExhaustionImminent"'
            fired = prom.query('max_over_time(%s,alertstate="firing",namespace="%s"}[1h])'
                               % (leak_alerts, OOM))
            self.assertTrue(fired, "no leak alert fired for %s" % OOM)
            log("leak alerts that fired for %s: %s" % (OOM, [m for m, _ in fired]))
            self.assertEqual(fired[0][0]["resource"], "memory")
            self.assertEqual(fired[0][0]["container"], "app")
            self.assertEqual(prom.query('max_over_time(%s,namespace="%s"}[1h])'
                                        % (leak_alerts, BENIGN)), [])
            # The policies' gauges as the leader reports them.
            matched = prom.query('max(leakguard_policy_pods{namespace="%s",state="matched"})'
                                 % BENIGN)
            self.assertEqual([v for _, v in matched], [3.0])
            health = ('ALERTS{alertname=~"LeakGuardControllerDown|LeakGuardNoLeader|'
                      'LeakGuardPolicyNotReady|LeakGuardAgentDown|LeakGuardAgentNotSampling"}')
            self.assertEqual(prom.query(health), [])
            # Every query of the Grafana dashboard has data once the scenarios ran.
            with open(os.path.join(REPO, "charts", "leakguard", "files",
                                   "leakguard-dashboard.json")) as f:
                dash = json.load(f)
            queries = [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]
            empty = [(title, expr) for title, expr in queries if not prom.query(expr)]
            self.assertEqual(empty, [], "dashboard queries without data")
            log("all %d dashboard queries returned data" % len(queries))
        except AssertionError:
            print("prometheus log:\n" + prom.log_tail(), flush=True)
            raise

    def test_6_kubectl_leakguard_top_lists_the_observed_leak(self):
        self.assertIsNotNone(self.top_seen, "kubectl leakguard top never listed the open "
                                            "incident of %s" % OOM)
        items, table = self.top_seen
        item = items["items"][0]
        self.assertEqual((item["namespace"], item["container"], item["resource"]),
                         (OOM, "app", "memory"))
        self.assertTrue(item["pod"].startswith("leaky-"), item)
        lines = table.splitlines()
        self.assertEqual(lines[0].split(), ["POD", "CONTAINER", "RESOURCE", "RATE",
                                            "EXHAUSTION", "STATE"])
        row = lines[1].split()
        self.assertEqual(row[0], item["pod"])
        self.assertTrue(row[3].startswith("+") and row[3].endswith(("/min", "/h")), row)
        self.assertIn(row[4], ("in", "overdue"), row)
        self.assertNotIn("\x1b[", table)  # not a terminal: no colour

    def test_7_kubectl_leakguard_status_sees_the_install(self):
        r = kubectl_leakguard(self.tmp.name, "status", "-A", "-o", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stdout)
        ours = {p["namespace"]: p for p in st["policies"]["items"] if p["namespace"] in ALL}
        self.assertEqual(set(ours), set(ALL), st["policies"])
        self.assertTrue(all(p["ready"] for p in ours.values()), ours)
        self.assertEqual(ours[BENIGN]["matchedPods"], 3)
        self.assertGreaterEqual(st["agents"]["ready"], 1, st["agents"])
        self.assertEqual(st["agents"]["notReady"], [], st["agents"])
        self.assertTrue(st["sources"]["metricsServer"], st["sources"])
        table = kubectl_leakguard(self.tmp.name, "status", "-n", BENIGN)
        self.assertEqual(table.returncode, 0, table.stderr)
        log("kubectl leakguard status -n %s:\n%s" % (BENIGN, table.stdout))
        self.assertEqual(table.stdout.splitlines()[1].split()[:5],
                         ["guard", "Enforce", "True", "3", "0"])


    def test_8_kubectl_leakguard_explain_tells_and_draws_the_observed_leak(self):
        self.assertIsNotNone(self.explained, "no open incident of %s with usage to explain"
                             % OOM)
        inc, out = self.explained
        usage = inc["status"]["usage"]
        self.assertEqual(usage["unit"], "bytes")
        self.assertEqual(usage["limit"], 256 * MI)
        self.assertGreaterEqual(len(usage["points"]), 5, usage)
        self.assertLessEqual(len(usage["points"]), 48, usage)
        self.assertGreater(usage["fit"]["ratePerSecond"], 0, usage)
        lines = out.splitlines()
        self.assertEqual(lines[0], "LeakIncident %s/%s  (policy guard)"
                         % (OOM, inc["metadata"]["name"]))
        self.assertIn("Memory (anon+shmem) grew at +%s" % inc["status"]["evidence"]["rate"][1:],
                      out)
        self.assertIn("of its 256Mi limit, it reaches the limit at", out)
        self.assertIn("The policy is in Observe mode", out)
        self.assertIn("\u2588", out)  # usage bars
        self.assertTrue(any(ln.strip().startswith("256Mi") for ln in lines),
                        "no y-axis label at the limit")
        self.assertNotIn("\x1b[", out)  # not a terminal: no colour

    def test_9_kubectl_leakguard_recommend_sizes_the_benign_and_not_the_leak(self):
        # The leak: no size, but what a bigger limit buys (40 MiB/min: +128Mi buys ~3 minutes).
        self.assertIsNotNone(self.leak_sizing, "recommend never showed the observed leak")
        leak = [it for it in self.leak_sizing if it["shape"] == "leaking"][0]
        self.assertEqual((leak["workload"], leak["container"]), ("Deployment/leaky", "app"))
        self.assertNotIn("request", leak)
        self.assertNotIn("limit", leak)
        self.assertEqual(leak["leak"]["raise"], "+128Mi", leak)
        self.assertIn("+128Mi delays it by", leak["basis"])
        # The benign ones: near their use plus the 15% headroom.
        r = kubectl_leakguard(self.tmp.name, "recommend", "-n", BENIGN, "-o", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {it["workload"]: it for it in json.loads(r.stdout)["items"]}
        log("kubectl leakguard recommend -n %s:\n%s" % (
            BENIGN, kubectl_leakguard(self.tmp.name, "recommend", "-n", BENIGN).stdout))
        self.assertEqual(set(got), {"Deployment/warmup", "Deployment/sawtooth",
                                    "Deployment/steady"}, got)

        def mib(q):
            self.assertTrue(q.endswith("Mi"), q)
            return float(q[:-2])

        # usage (MiB): steady 64; warm-up to a plateau of 32 + 80; sawtooth 48 to 48 + 64.
        for name, request, limit in (("steady", 64, 64), ("warmup", 112, 112),
                                     ("sawtooth", 48 + 0.9 * 64, 112)):
            it = got["Deployment/" + name]
            self.assertIn(it["shape"], ("steady", "warm-up"), it)
            self.assertIn("+15% headroom", it["basis"], it)
            self.assertAlmostEqual(mib(it["request"]), request * 1.15, delta=request * 0.12,
                                   msg=it)
            self.assertAlmostEqual(mib(it["limit"]), limit * 1.15, delta=limit * 0.12, msg=it)


if __name__ == "__main__":
    unittest.main(verbosity=2)
