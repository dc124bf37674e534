#!/usr/bin/env python3
"""LeakGuard installed the way users install it, on the local cluster of e2e/cluster:

- the image is built from this build's binary (images/build) and imported;
- `helm install` brings up the controller (2 replicas, one leader) and the node agent;
- the leader reconciles a LeakPolicy to Ready, and polls the node agent, which serves samples
  (fds and threads included) only to the controller's token;
- `kubectl auth can-i --list` for each ServiceAccount shows exactly what the chart declares
  (beyond what every ServiceAccount may do), cluster-wide and in the release namespace;
- the processes really run as uid 65532, with no capabilities, on a read-only root filesystem;
- `helm upgrade` with a changed values file takes effect, and a new leader reconciles;
- `helm uninstall` leaves no LeakGuard object behind except the CRDs (and their objects).

Uses its own release and namespaces (lg-pkg-e2e*), and is scoped with watchNamespaces to its
application namespace, so a LeakGuard installed in leakguard-system is not touched and the other
scenarios that share the cluster meanwhile are not acted on: the RBAC check and a policy in a
namespace outside the scope (reconciled only once `helm upgrade` adds that namespace) show it.
Standard library plus PyYAML."""
import base64
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "operator"))
from pkgtest import CHART, REPO, yaml  # noqa: E402
from test_rbac import controller_grants, grants  # noqa: E402
from lgtest import (ENV, apply, kjson, kubectl, leaky_deployment, leakguard_binary,  # noqa: E402
                    leakguard_image, wait_for)

REL = "lg-pkg-e2e"
NS = "lg-pkg-e2e"
APP_NS = "lg-pkg-e2e-app"
OUT_NS = "lg-pkg-e2e-out"  # not watched until test_2 upgrades the release to watch it
FULL = REL + "-leakguard"  # the chart's fullname for a release without "leakguard" in it
CTRL = FULL + "-controller"
AGENT = FULL + "-agent"
CTRL_SEL = "app.kubernetes.io/name=leakguard-controller,app.kubernetes.io/instance=" + REL
AGENT_SEL = "app.kubernetes.io/name=leakguard-agent,app.kubernetes.io/instance=" + REL


def helm(*args, timeout=600, check=True):
    r = subprocess.run(["helm", *args], capture_output=True, text=True, env=ENV, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("helm %s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                             r.stdout, r.stderr))
    return r


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---- kubectl auth can-i --list, as sets of (resource, resourceNames, verb) ----

CANI_LINE = re.compile(r"^(\S*)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$")


def can_i(user, ns):
    out = kubectl("auth", "can-i", "--list", "--as=" + user, "-n", ns).stdout
    atoms = set()
    for line in out.splitlines()[1:]:
        m = CANI_LINE.match(line)
        if not m:
            raise AssertionError("unexpected can-i line: %r" % line)
        res, urls, names, verbs = m.groups()
        key = res if res else "url:" + urls
        for v in verbs.split():
            atoms.add((key, tuple(sorted(names.split())), v))
    return atoms


def declared(rules):
    """The atoms `kubectl auth can-i --list` prints for RBAC rules."""
    atoms = set()
    for r in rules:
        for g in r["apiGroups"]:
            for res in r["resources"]:
                base, _, sub = res.partition("/")
                name = base + ("." + g if g else "") + ("/" + sub if sub else "")
                for v in r["verbs"]:
                    atoms.add((name, tuple(sorted(r.get("resourceNames", []))), v))
    return atoms


# ---- the processes of a pod's containers, seen from the host ----

def host_pids(container_id):
    cid = container_id.split("://", 1)[-1]
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cgroup" % p) as f:
                if cid in f.read():
                    pids.append(int(p))
        except OSError:
            pass
    return pids


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)


def root_mount_options(pid):
    with open("/proc/%d/mountinfo" % pid) as f:
        for line in f:
            fields = line.split()
            if fields[4] == "/":
                return fields[5].split(",")
    raise AssertionError("no / in /proc/%d/mountinfo" % pid)


def agent_get(pod_ip, path, token=None):
    args = ["curl", "-sk", "--max-time", "10", "-w", "\n%{http_code}"]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    r = subprocess.run(args + ["https://%s:9440%s" % (pod_ip, path)], capture_output=True,
                       text=True, timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def metric(text, name, labels=""):
    total = None
    for line in text.splitlines():
        if line.startswith(name) and line[len(name)] in " {" and labels in line:
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def controller_metrics(pod):
    with urllib.request.urlopen("http://%s:8080/metrics" % pod["status"]["podIP"], timeout=10) as r:
        return r.read().decode()


def dump_state(why):
    """What a failed run needs to be understood: the release's pods, their logs, the Events."""
    print("\n==== %s: state of %s ====" % (why, NS), file=sys.stderr)
    for args in (["get", "all,lease,pdb", "-n", NS, "-o", "wide"],
                 ["get", "events", "-n", NS, "--sort-by=.lastTimestamp"],
                 ["get", "lp,pods", "-n", APP_NS, "-o", "wide"]):
        print(kubectl(*args, check=False).stdout, file=sys.stderr)
    for p in kjson("get", "pods", "-n", NS)["items"]:
        name = p["metadata"]["name"]
        print("---- logs of %s ----\n%s" % (name, kubectl("logs", "-n", NS, name, "--tail=40",
                                                         check=False).stdout), file=sys.stderr)


def diagnosed(test):
    @functools.wraps(test)
    def run(self):
        try:
            test(self)
        except BaseException:
            dump_state(test.__name__)
            raise
    return run


def pods(selector, ns=NS):
    return kjson("get", "pods", "-n", ns, "-l", selector)["items"]


def all_ready(selector, n):
    ps = [p for p in pods(selector) if not p["metadata"].get("deletionTimestamp")]
    ok = [p for p in ps if any(c["type"] == "Ready" and c["status"] == "True"
                               for c in p["status"].get("conditions", []))]
    return ok if len(ps) == n and len(ok) == n else None


def leader():
    holder = kjson("get", "lease", "-n", NS, CTRL)["spec"].get("holderIdentity", "")
    for p in all_ready(CTRL_SEL, len(pods(CTRL_SEL))) or []:
        if holder.startswith(p["metadata"]["name"] + "_"):
            return p
    return None


def policy_ready(generation, ns=APP_NS):
    st = kjson("get", "lp", "-n", ns, "app").get("status", {})
    for c in st.get("conditions", []):
        if (c["type"] == "Ready" and c["status"] == "True"
                and st.get("observedGeneration") == generation and st.get("matchedPods") == 1):
            return st
    return None


class HelmInstall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cleanup()
        try:
            cls.set_up()
        except BaseException:
            dump_state("setUpClass")
            cleanup()  # tearDownClass does not run when setUpClass fails
            raise

    @classmethod
    def set_up(cls):
        cls.tag = leakguard_image().split(":", 1)[1]
        log("the image of %s: localhost/leakguard:%s" % (leakguard_binary(), cls.tag))
        subprocess.run([os.path.join(REPO, "e2e/workloads/build-images")], check=True,
                       capture_output=True, timeout=600)
        for ns in (APP_NS, OUT_NS):  # RoleBindings go into the watched ones at install
            kubectl("create", "namespace", ns)
        cls.values = os.path.join(cls.tmp.name, "values.yaml")
        with open(cls.values, "w") as f:
            yaml.safe_dump({"image": {"tag": cls.tag, "pullPolicy": "Never"},
                            "watchNamespaces": [APP_NS],
                            "controller": {"resyncSeconds": 10},
                            # One action that is off by default, enabled as a user would.
                            "actions": {"enforceQuota": True},
                            "agent": {"interval": "5s"}}, f)
        log("helm install %s -n %s" % (REL, NS))
        t0 = time.time()
        cls.install = helm("install", REL, CHART, "-n", NS, "--create-namespace", "-f", cls.values,
                           "--wait", "--timeout", "180s")
        log("installed and ready in %.0fs" % (time.time() - t0))
        cls.manifest = [d for d in yaml.safe_load_all(helm("get", "manifest", REL, "-n", NS).stdout)
                        if d]

    @classmethod
    def tearDownClass(cls):
        cleanup()
        cls.tmp.cleanup()

    def objects(self, kind):
        return [o for o in self.manifest if o["kind"] == kind]

    # The tests run in name order: install checks (test_1*), then upgrade (test_2), uninstall
    # (test_3) and a second install (test_4).

    @diagnosed
    def test_10_notes_say_what_to_do_next(self):
        out = self.install.stdout
        self.assertIn("rollout status deployment/" + CTRL, out)
        self.assertIn("mode: Observe", out)
        self.assertIn("kubectl get leakincidents -A -w", out)

    @diagnosed
    def test_11_pods_ready_one_leader(self):
        ctrl = wait_for("2 controller pods Ready", lambda: all_ready(CTRL_SEL, 2), 120)
        wait_for("1 agent pod Ready", lambda: all_ready(AGENT_SEL, 1), 120)
        lead = wait_for("a controller holding the Lease", leader, 60)
        logs = kubectl("logs", "-n", NS, lead["metadata"]["name"]).stdout
        self.assertIn('"msg":"became leader"', logs)
        others = [p for p in ctrl if p["metadata"]["name"] != lead["metadata"]["name"]]
        self.assertEqual(len(others), 1)
        self.assertNotIn('"msg":"became leader"',
                         kubectl("logs", "-n", NS, others[0]["metadata"]["name"]).stdout)
        for crd in ("leakpolicies.leakguard.io", "leakincidents.leakguard.io"):
            kubectl("get", "crd", crd)

    @diagnosed
    def test_12_leader_reconciles_a_policy_and_reads_the_agent(self):
        for ns in (APP_NS, OUT_NS):
            # Another uid than the agent's: its fds must still be counted.
            app = leaky_deployment(ns, "app", LEAK_PATTERN="steady")
            app["spec"]["template"]["spec"]["securityContext"] = {"runAsUser": 1000,
                                                                  "runAsGroup": 1000}
            apply(app)
            apply({"apiVersion": "leakguard.io/v1alpha1", "kind": "LeakPolicy",
                   "metadata": {"name": "app", "namespace": ns},
                   "spec": {"selector": {"matchLabels": {"app": "app"}}, "mode": "Observe",
                            "resources": ["memory", "fds", "threads"],
                            "playbook": [{"action": "restart",
                                          "when": {"exhaustionWithin": "30m"}}]}})
        st = wait_for("policy Ready with 1 matched pod", lambda: policy_ready(1), 120)
        log("policy status: %s" % json.dumps(st["conditions"][0]))
        # This release's leader reconciled it (not some other LeakGuard in the cluster), and
        # the standby did not reconcile at all.
        lead = leader()
        for p in all_ready(CTRL_SEL, 2):
            m = controller_metrics(p)
            if p["metadata"]["name"] == lead["metadata"]["name"]:
                self.assertEqual(metric(m, "leakguard_leader"), 1)
                self.assertGreater(metric(m, "leakguard_reconcile_total") or 0, 0)
                # The policy's gauges, which the alerts read.
                self.assertEqual(metric(m, "leakguard_policy_ready",
                                        'namespace="%s",policy="app"' % APP_NS), 1, m)
                self.assertEqual(metric(m, "leakguard_policy_pods",
                                        'namespace="%s",policy="app",state="matched"' % APP_NS),
                                 1, m)
            else:
                self.assertEqual(metric(m, "leakguard_leader"), 0)
                self.assertEqual(metric(m, "leakguard_reconcile_total") or 0, 0)
        # The agent serves samples to the controller's ServiceAccount only.
        agent = all_ready(AGENT_SEL, 1)[0]
        ip = agent["status"]["podIP"]
        token = kubectl("create", "token", CTRL, "-n", NS, "--audience", "leakguard-agent",
                        "--duration", "10m").stdout.strip()
        # Requests by the controller: the agent detects (agent.detection, the default), so the
        # controller asks for its reports and assigns it the policy's pod.
        polled = wait_for("the controller polling the agent", lambda: metric(
            agent_get(ip, "/metrics", token)[1], "leakguard_agent_requests_total",
            'path="/v1/detection",outcome="allowed"'), 60)
        log("agent answered %d detection requests of the controller" % polled)
        series = wait_for("the agent following the policy's pod", lambda: metric(
            agent_get(ip, "/metrics", token)[1], "leakguard_agent_detection_series"), 60)
        log("agent follows %d series for the controller" % series)
        self.assertEqual(agent_get(ip, "/v1/samples")[0], 401)
        # Its own metrics, for Prometheus, on the plain port without a token; no samples there.
        with urllib.request.urlopen("http://%s:9441/metrics" % ip, timeout=10) as r:
            plain = r.read().decode()
        self.assertGreater(metric(plain, "leakguard_agent_passes_total") or 0, 0, plain[:500])
        self.assertIsNotNone(metric(plain, "process_resident_memory_bytes"), plain[:500])
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen("http://%s:9441/v1/samples" % ip, timeout=10)
        self.assertEqual(refused.exception.code, 404)
        other = kubectl("create", "token", AGENT, "-n", NS, "--audience", "leakguard-agent",
                        "--duration", "10m").stdout.strip()
        self.assertEqual(agent_get(ip, "/v1/samples", other)[0], 403)

        def app_sample():
            code, body = agent_get(ip, "/v1/samples?limit=100000", token)
            self.assertEqual(code, 200, body[:300])
            got = [s for s in json.loads(body)["samples"] if s.get("namespace") == APP_NS]
            return got[-1] if got else None
        s = wait_for("an agent sample of the workload", app_sample, 60)
        proc = s["processes"]
        # The unprivileged agent (uid 65532, no capabilities) counts the fds of a uid 1000
        # process: the fd count is the size of /proc/<pid>/fd (Linux >= 6.2).
        self.assertGreater(proc["fdsTotal"], 0)
        self.assertGreater(proc["threads"], 0)
        self.assertEqual(proc["unreadable"], 0)
        for p in pods(CTRL_SEL):
            logs = kubectl("logs", "-n", NS, p["metadata"]["name"]).stdout
            self.assertNotIn("node agent poll failed", logs)
            self.assertNotIn("node agent detection poll failed", logs)
            self.assertNotIn("cannot poll node agents", logs)
            # The agents' certificates are checked against the chart's CA.
            self.assertNotIn("certificates are not verified", logs)
        # Outside watchNamespaces: two more resyncs of the watched policy (resyncSeconds 10)
        # and still no status on the other, and no sample of its pod taken by the agent.
        m = controller_metrics(lead)
        before = metric(m, "leakguard_reconcile_total") or 0
        wait_for("two more reconciles", lambda: (metric(controller_metrics(lead),
                                                        "leakguard_reconcile_total") or 0)
                 >= before + 2, 60)
        self.assertEqual(kjson("get", "lp", "-n", OUT_NS, "app").get("status", {}), {},
                         "a policy outside watchNamespaces was reconciled")
        code, body = agent_get(ip, "/v1/samples?limit=100000", token)
        self.assertEqual(code, 200)
        self.assertEqual([x for x in json.loads(body)["samples"] if x.get("namespace") == OUT_NS],
                         [], "the agent sampled a pod outside watchNamespaces")

    @diagnosed
    def test_13_rbac_is_what_the_chart_declares(self):
        """What each ServiceAccount may do in the release namespace, the watched namespace and
        one outside watchNamespaces is exactly the chart's ClusterRoles plus its Roles in that
        namespace; outside, no namespaced grant at all."""
        roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
                 for o in self.manifest if o["kind"] in ("Role", "ClusterRole")}
        spaces = (NS, APP_NS, OUT_NS)
        # What any ServiceAccount may do (discovery, self reviews): not LeakGuard's doing.
        base = {ns: can_i("system:serviceaccount:%s:lg-pkg-nobody" % ns, ns) for ns in spaces}
        for sa in (CTRL, AGENT):
            cluster, local = set(), {ns: set() for ns in spaces}
            for b in self.objects("ClusterRoleBinding") + self.objects("RoleBinding"):
                if any(s["name"] == sa for s in b["subjects"]):
                    ref = b["roleRef"]
                    if b["kind"] == "RoleBinding":
                        ns = b["metadata"]["namespace"]
                        local[ns] |= declared(roles[("Role", ns, ref["name"])]["rules"])
                    else:
                        cluster |= declared(roles[("ClusterRole", None, ref["name"])]["rules"])
            self.assertTrue(cluster, sa)
            if sa == CTRL:
                self.assertTrue(local[APP_NS], "%s: no Role in the watched namespace" % sa)
            else:  # agent.podSource=kubelet: the agent reads no pod anywhere
                self.assertEqual(local[APP_NS], set(), sa)
            self.assertEqual(local[OUT_NS], set(), sa)
            user = "system:serviceaccount:%s:%s" % (NS, sa)
            for ns in spaces:
                with self.subTest(sa=sa, ns=ns):
                    got = can_i(user, ns) - base[ns]
                    want = cluster | local[ns]
                    self.assertEqual(sorted(got - want), [], "granted beyond the chart")
                    self.assertEqual(sorted(want - got), [], "declared but not granted")
        for ns in (APP_NS, NS, "kube-system"):
            r = kubectl("auth", "can-i", "list", "pods", "-n", ns,
                        "--as=system:serviceaccount:%s:%s" % (NS, AGENT), check=False)
            self.assertEqual(r.stdout.strip(), "no", "the agent lists pods in %s" % ns)
        for verb, res in (("list", "pods"), ("list", "leakpolicies.leakguard.io"),
                          ("create", "pods/eviction")):
            r = kubectl("auth", "can-i", verb, res, "-n", OUT_NS,
                        "--as=system:serviceaccount:%s:%s" % (NS, CTRL), check=False)
            self.assertEqual(r.stdout.strip(), "no", "%s %s outside watchNamespaces" % (verb, res))
        # What must be refused even where it watches, and in kube-system: secrets, exec into
        # pods, rewriting a ConfigMap, any LimitRange or quota but LeakGuard's own.
        ctrl = "--as=system:serviceaccount:%s:%s" % (NS, CTRL)
        for ns, args, want in (
                (APP_NS, ("get", "secrets"), "no"),
                (APP_NS, ("create", "pods", "--subresource=exec"), "no"),
                (APP_NS, ("update", "configmaps/app-config"), "no"),
                ("kube-system", ("update", "configmaps/kube-proxy"), "no"),
                (APP_NS, ("update", "limitranges/their-limits"), "no"),
                (APP_NS, ("update", "resourcequotas/their-quota"), "no"),
                (APP_NS, ("update", "limitranges/leakguard-memory"), "yes"),
                (APP_NS, ("create", "configmaps"), "yes"),
                # Actions left off (annotate, label, reschedule, rollback): no patch on pods,
                # so no pod's image or labels can be changed; no node relabelled or tainted; no
                # pod template rolled back.
                (APP_NS, ("patch", "pods/checkout-1"), "no"),
                ("", ("patch", "nodes/lg-node"), "no"),
                (APP_NS, ("list", "controllerrevisions.apps"), "no")):
            where = ("-n", ns) if ns else ()
            r = kubectl("auth", "can-i", *args, *where, ctrl, check=False)
            self.assertEqual(r.stdout.strip(), want, "%s in %s" % (" ".join(args), ns or "cluster"))
        # The installed release's rules are what the code declares for its --actions.
        args = [o for o in self.manifest if o["kind"] == "Deployment"][0]["spec"]["template"][
            "spec"]["containers"][0]["args"]
        self.assertIn("--actions=captureDiagnostics,enforceQuota,event,resizeLimits,restart", args)
        flags = [a for a in args if a.startswith("--actions=") or a == "--no-node-access"]
        if [a for a in args if a.startswith("--agent-signer-key-file=")]:
            flags.append("--agent-signer")
        r = subprocess.run([leakguard_binary(), "rbac", "-o", "json", *flags],
                           capture_output=True, text=True, timeout=60, check=True)
        want = grants(json.loads(r.stdout))
        for scope, rules in controller_grants(self.manifest).items():
            self.assertEqual(sorted(rules ^ want), [], "installed %s vs leakguard rbac" % scope)

    @diagnosed
    def test_14_processes_run_as_65532_without_capabilities_on_a_read_only_root(self):
        self.assertEqual(os.geteuid(), 0, "reads other processes' /proc entries")
        checked = 0
        for p in pods(CTRL_SEL) + pods(AGENT_SEL):
            for c in p["status"]["containerStatuses"]:
                pids = host_pids(c["containerID"])
                self.assertTrue(pids, "no process of %s" % c["containerID"])
                for pid in pids:
                    st = proc_status(pid)
                    what = "%s/%s pid %d" % (p["metadata"]["name"], c["name"], pid)
                    self.assertEqual(st["Uid"].split(), ["65532"] * 4, what)
                    self.assertEqual(st["Gid"].split(), ["65532"] * 4, what)
                    self.assertEqual(int(st["CapEff"], 16), 0, what)
                    self.assertEqual(int(st["CapPrm"], 16), 0, what)
                    self.assertEqual(st["NoNewPrivs"].strip(), "1", what)
                    self.assertEqual(st["Seccomp"].strip(), "2", what + ": seccomp filter")
                    self.assertIn("ro", root_mount_options(pid), what)
                    checked += 1
        self.assertGreaterEqual(checked, 3)
        # The agent's host mounts are read-only (at least at their top: see the chart on
        # recursiveReadOnly and containerd 1.6).
        agent = pods(AGENT_SEL)[0]
        pid = host_pids(agent["status"]["containerStatuses"][0]["containerID"])[0]
        with open("/proc/%d/mountinfo" % pid) as f:
            mounts = {l.split()[4]: l.split()[5].split(",") for l in f}
        for m in ("/host/proc", "/host/sys/fs/cgroup"):
            self.assertIn("ro", mounts.get(m, []), "%s: %r" % (m, mounts.get(m)))

    @diagnosed
    def test_15_plain_manifests_pass_the_api_servers_validation(self):
        created = kubectl("get", "namespace", "leakguard-system", check=False).returncode != 0
        if created:
            kubectl("create", "namespace", "leakguard-system")
        try:
            for f in ("crds.yaml", "leakguard.yaml"):
                out = kubectl("apply", "--dry-run=server", "-f",
                              os.path.join(REPO, "manifests", f)).stdout
                self.assertIn("(server dry run)", out)
        finally:
            if created:
                kubectl("delete", "namespace", "leakguard-system", "--wait=false")

    @diagnosed
    def test_16_each_agent_serves_a_certificate_of_its_own_node(self):
        """Per-node certificates on the real API server: the agent asked for one with a
        CertificateSigningRequest, the leader approved and signed it, the agent serves it and it
        names the agent's node only. Requests that are not the agent of the node they name are
        denied with the reason: the agent's ServiceAccount without a pod-bound token, and its
        pod-bound token asking for another node's name. An admin's is never signed (nor denied:
        another install's agents are for that install's leader to answer)."""
        agent = all_ready(AGENT_SEL, 1)[0]
        node, ip = agent["spec"]["nodeName"], agent["status"]["podIP"]
        want = node + ".leakguard-agent"
        user = "system:serviceaccount:%s:%s" % (NS, AGENT)
        issued = [c for c in kjson("get", "csr")["items"]
                  if c["spec"]["signerName"] == "leakguard.io/agent-serving"
                  and c["spec"]["username"] == user and c.get("status", {}).get("certificate")]
        self.assertTrue(issued, "no issued CSR of the agent")
        csr = max(issued, key=lambda c: c["metadata"]["creationTimestamp"])
        [cond] = [c for c in csr["status"]["conditions"] if c["type"] == "Approved"]
        self.assertEqual(cond["reason"], "LeakGuardAgentOfThisNode")
        self.assertEqual(csr["spec"]["extra"]["authentication.kubernetes.io/node-name"], [node])
        ca = os.path.join(self.tmp.name, "agent-ca.crt")
        with open(ca, "wb") as f:
            f.write(base64.b64decode(kjson("get", "secret", "-n", NS, AGENT + "-ca")
                                     ["data"]["ca.crt"]))
        # What the agent serves chains to the CA and carries its node's name (as the
        # controller checks it); another node's name fails the same check.
        def handshake(name):
            return subprocess.run(
                ["openssl", "s_client", "-connect", "%s:9440" % ip, "-CAfile", ca,
                 "-verify_return_error", "-verify_hostname", name, "-servername", name],
                input="", capture_output=True, text=True, timeout=30)
        ok = handshake(want)
        self.assertEqual(ok.returncode, 0, ok.stdout[-2000:] + ok.stderr[-2000:])
        self.assertIn("Verify return code: 0 (ok)", ok.stdout)
        served = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName",
                                 "-enddate"], input=ok.stdout, capture_output=True, text=True,
                                check=True).stdout
        self.assertIn("DNS:" + want, served)
        self.assertNotIn("IP Address", served)
        self.assertNotEqual(handshake("other-node.leakguard-agent").returncode, 0)
        log("agent of %s serves %s" % (node, " ".join(served.split())))

        # Hostile requests, each made with a credential of its own.
        cfg = kjson("config", "view", "--raw", "--minify")
        cluster = cfg["clusters"][0]["cluster"]

        def create_csr(name, dns, token=None):
            key = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null",
                                  "-subj", "/CN=" + dns, "-addext", "subjectAltName=DNS:" + dns],
                                 capture_output=True, text=True, check=True, timeout=30)
            body = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                    "metadata": {"name": name},
                    "spec": {"request": base64.b64encode(key.stdout.encode()).decode(),
                             "signerName": "leakguard.io/agent-serving",
                             "usages": ["digital signature", "server auth"]}}
            path = os.path.join(self.tmp.name, name + ".json")
            with open(path, "w") as f:
                json.dump(body, f)
            args = ["create", "-f", path]
            if token:
                kc = os.path.join(self.tmp.name, name + ".kubeconfig")
                with open(kc, "w") as f:
                    yaml.safe_dump({"apiVersion": "v1", "kind": "Config",
                                    "clusters": [{"name": "c", "cluster": cluster}],
                                    "users": [{"name": "u", "user": {"token": token}}],
                                    "contexts": [{"name": "c", "context": {"cluster": "c",
                                                                           "user": "u"}}],
                                    "current-context": "c"}, f)
                args = ["--kubeconfig", kc] + args
            kubectl(*args)

        bound = kubectl("create", "token", AGENT, "-n", NS, "--duration", "10m",
                        "--bound-object-kind", "Pod", "--bound-object-name",
                        agent["metadata"]["name"], "--bound-object-uid",
                        agent["metadata"]["uid"]).stdout.strip()
        unbound = kubectl("create", "token", AGENT, "-n", NS, "--duration",
                          "10m").stdout.strip()
        cases = {"lg-pkg-e2e-unbound": (want, unbound, "not bound to a pod on a node"),
                 "lg-pkg-e2e-other-node": ("other-node.leakguard-agent", bound,
                                           "must name exactly " + want)}
        for name, (dns, token, _) in cases.items():
            create_csr(name, dns, token)

        def verdicts():
            got = {}
            for name in cases:
                c = kjson("get", "csr", name)
                for cond in c.get("status", {}).get("conditions", []):
                    got[name] = (cond["type"], cond.get("message", ""),
                                 bool(c["status"].get("certificate")))
            return got if len(got) == len(cases) else None
        create_csr("lg-pkg-e2e-admin", want)  # not the agents' ServiceAccount
        got = wait_for("the leader's verdicts on two hostile requests", verdicts, 60)
        for name, (_, _, why) in cases.items():
            kind, message, has_cert = got[name]
            self.assertEqual(kind, "Denied", name)
            self.assertIn(why, message, name)
            self.assertFalse(has_cert, name)
        # The admin's, created before the verdicts came: neither approved nor signed.
        admin = kjson("get", "csr", "lg-pkg-e2e-admin")
        self.assertFalse(admin.get("status", {}).get("certificate"))
        self.assertNotIn("Approved", [c["type"] for c in
                                      admin.get("status", {}).get("conditions", [])])
        m = controller_metrics(leader())
        self.assertGreaterEqual(metric(m, "leakguard_agent_certificates_total",
                                       'outcome="denied"') or 0, 2)
        self.assertGreaterEqual(metric(m, "leakguard_agent_certificates_total",
                                       'outcome="issued"') or 0, 1)

    @diagnosed
    def test_2_upgrade_with_changed_values(self):
        values = os.path.join(self.tmp.name, "values-2.yaml")
        with open(values, "w") as f:
            yaml.safe_dump({"image": {"tag": self.tag, "pullPolicy": "Never"},
                            "watchNamespaces": [APP_NS, OUT_NS],
                            "controller": {"replicas": 1, "logLevel": "debug", "resyncSeconds": 10},
                            "agent": {"interval": "3s"},
                            "metrics": {"service": {"enabled": False}}}, f)
        secret = kjson("get", "secret", "-n", NS, AGENT + "-ca")["data"]
        log("helm upgrade with %s" % values)
        t0 = time.time()
        helm("upgrade", REL, CHART, "-n", NS, "-f", values, "--wait", "--timeout", "180s")
        log("upgraded in %.0fs" % (time.time() - t0))
        self.assertEqual(json.loads(helm("history", REL, "-n", NS, "-o", "json").stdout)[-1]
                         ["status"], "deployed")
        # The CA of the agents' certificates survives upgrades (the chart looks it up).
        self.assertEqual(kjson("get", "secret", "-n", NS, AGENT + "-ca")["data"], secret)
        dep = kjson("get", "deployment", "-n", NS, CTRL)
        self.assertEqual(dep["spec"]["replicas"], 1)
        self.assertIn("--log-level=debug", dep["spec"]["template"]["spec"]["containers"][0]["args"])
        ds = kjson("get", "daemonset", "-n", NS, AGENT)
        self.assertIn("--interval=3s", ds["spec"]["template"]["spec"]["containers"][0]["args"])
        # One replica: no PDB (it would block drains); metrics Service switched off.
        self.assertNotEqual(kubectl("get", "pdb", "-n", NS, CTRL, check=False).returncode, 0)
        self.assertNotEqual(kubectl("get", "service", "-n", NS, CTRL + "-metrics",
                                    check=False).returncode, 0)
        wait_for("1 controller pod Ready", lambda: all_ready(CTRL_SEL, 1), 120)
        lead = wait_for("the new controller holding the Lease", leader, 90)
        # The new leader reconciles a change of the policy.
        kubectl("patch", "lp", "-n", APP_NS, "app", "--type=merge", "-p",
                '{"spec":{"resources":["memory","fds"]}}')
        wait_for("policy generation 2 reconciled", lambda: policy_ready(2), 120)
        # The namespace the upgrade added to watchNamespaces: its policy is reconciled now.
        wait_for("the policy of the newly watched namespace Ready",
                 lambda: policy_ready(1, OUT_NS), 120)
        self.assertGreater(metric(controller_metrics(lead), "leakguard_reconcile_total") or 0, 0)
        self.assertIn('"level":"debug"', kubectl("logs", "-n", NS, lead["metadata"]["name"]).stdout)

    @diagnosed
    def test_3_uninstall_leaves_only_the_crds(self):
        log("helm uninstall")
        helm("uninstall", REL, "-n", NS, "--wait", "--timeout", "120s")
        sel = "app.kubernetes.io/instance=" + REL
        kinds = "deployments,daemonsets,replicasets,pods,services,serviceaccounts,roles,rolebindings," \
                "poddisruptionbudgets,configmaps,secrets"

        def leftovers():
            items = [i for ns in (NS, APP_NS, OUT_NS)
                     for i in kjson("get", kinds, "-n", ns, "-l", sel)["items"]]
            items += kjson("get", "clusterroles,clusterrolebindings", "-l", sel)["items"]
            return ["%s/%s" % (i["kind"], i["metadata"]["name"]) for i in items]
        wait_for("no LeakGuard object left", lambda: not leftovers(), 120)
        # The controllers' Lease stays: the chart does not own it (see rbac-controller.yaml).
        # (Its last holder cannot release it: helm deletes the ServiceAccount and RBAC while
        # the pods are still stopping. A new install takes over once it expires.)
        leases = [l["metadata"]["name"] for l in kjson("get", "leases", "-n", NS)["items"]]
        self.assertEqual(leases, [CTRL])
        names = kubectl("get", "clusterroles,clusterrolebindings", "-o", "name").stdout
        self.assertNotIn(FULL, names)
        # CRDs stay (Helm never deletes them), and with them the policies.
        for crd in ("leakpolicies.leakguard.io", "leakincidents.leakguard.io"):
            kubectl("get", "crd", crd)
        kubectl("get", "lp", "-n", APP_NS, "app")

    @diagnosed
    def test_4_reinstall_takes_over_the_stale_lease(self):
        log("helm install again, over the Lease the first install left")
        helm("install", REL, CHART, "-n", NS, "-f", self.values, "--wait", "--timeout", "180s")
        t0 = time.time()
        lead = wait_for("a new leader (the old Lease expires)", leader, 90)
        log("%s leads after %.0fs" % (lead["metadata"]["name"], time.time() - t0))
        helm("uninstall", REL, "-n", NS, "--wait", "--timeout", "120s")


def cleanup():
    helm("uninstall", REL, "-n", NS, "--wait", "--timeout", "120s", check=False)
    for ns in (APP_NS, OUT_NS, NS):
        kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=true", timeout=240)
    for kind in ("clusterrole", "clusterrolebinding"):
        for n in (CTRL, CTRL + "-nodes", CTRL + "-agent-certificates", AGENT):
            kubectl("delete", kind, n, "--ignore-not-found")
    for csr in kjson("get", "csr")["items"]:
        if csr["metadata"]["name"].startswith(("lg-pkg-e2e-", "leakguard-agent-")):
            kubectl("delete", "csr", csr["metadata"]["name"], "--ignore-not-found")


if __name__ == "__main__":
    unittest.main(verbosity=2)
