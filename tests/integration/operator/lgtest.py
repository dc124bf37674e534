"""Helpers shared by LeakGuard's process-level integration and end-to-end tests: kubectl on the
local cluster of e2e/cluster, running `leakguard controller` as a child process, polling with a
deadline. Standard library only."""
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def kubeconfig():
    path = os.environ.get("LG_KUBECONFIG") or subprocess.run(
        [os.path.join(REPO, "e2e/cluster/kubeconfig")], capture_output=True, text=True).stdout.strip()
    if not path or not os.path.exists(path):
        raise RuntimeError("no kubeconfig for the local cluster (LG_KUBECONFIG); run e2e/cluster/up")
    return path


def env():
    """The environment of the cluster scripts: KUBECONFIG and the pinned kubectl/helm first."""
    out = subprocess.run(["bash", "-c", ". '%s/e2e/cluster/env' && env -0" % REPO],
                         capture_output=True, check=True).stdout
    e = dict(kv.split("=", 1) for kv in out.decode().split("\0") if "=" in kv)
    e["KUBECONFIG"] = kubeconfig()
    return e


ENV = env()


def kubectl(*args, input=None, check=True, timeout=120):
    r = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True, env=ENV,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("kubectl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def kjson(*args):
    return json.loads(kubectl(*args, "-o", "json").stdout)


def wait_for(what, fn, timeout=120, interval=1.0):
    """Polls fn() until it returns a truthy value; fails naming `what` after timeout seconds."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the API server may be restarting
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %ds waiting for %s (last: %r)" % (timeout, what, last))


def leakguard_binary():
    b = os.environ.get("LEAKGUARD_BIN") or os.path.join(REPO, "build", "bin", "leakguard")
    if not os.path.exists(b):
        raise RuntimeError("leakguard binary not found at %s (set LEAKGUARD_BIN)" % b)
    return b


STATE_DIR = os.path.join(tempfile.gettempdir(), "leakguard-tests")


def leakguard_image():
    """The image reference of this build's leakguard binary (localhost/leakguard:<v>-test), built
    and imported by tests/cluster/build-test-images, the `cluster` fixture of CTest, which
    records it with the binary's sha256 in <binary>.image; built here only when that record is
    missing or names another binary (a test run on its own after a rebuild)."""
    b = leakguard_binary()
    with open(b, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    try:
        with open(b + ".image") as f:
            ref, recorded = f.read().split()
        if recorded == digest:
            return ref
    except (OSError, ValueError):
        pass
    subprocess.run([os.path.join(REPO, "tests", "cluster", "build-test-images"), b], check=True,
                   capture_output=True, timeout=900)
    with open(b + ".image") as f:
        return f.read().split()[0]


def stop_process(proc, sig=signal.SIGTERM, timeout=30):
    """Signals a child process and waits for it, killing it past `timeout`; its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Operator:
    """`leakguard controller` run as a child process with its own health port and log file.
    A test that shares the cluster with others passes `namespaces`: the controller then watches
    and acts in those namespaces only (--namespaces), never in another test's."""

    def __init__(self, port, *extra, namespaces=None, kubeconfig_path=None):
        self.port = port
        self.namespaces = list(namespaces or [])
        scope = ["--namespaces", ",".join(self.namespaces)] if self.namespaces else []
        self.log = tempfile.NamedTemporaryFile(prefix="leakguard-%d-" % port, suffix=".log",
                                               delete=False)
        # A session of its own: it may outlive this test process (detach()).
        self.proc = subprocess.Popen(
            [leakguard_binary(), "controller", "--kubeconfig", kubeconfig_path or kubeconfig(),
             "--health-address", "127.0.0.1:%d" % port, "--resync", "10", *scope, *extra],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=ENV,
            start_new_session=True)

    def detach(self, name):
        """Leaves the controller running after this test process ends, for a later test of the
        same CTest fixture to take over with Operator.attach(name): how a test that needs the
        cluster to itself does its long waiting beforehand, while other tests share the cluster
        (see tests/CMakeLists.txt)."""
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(os.path.join(STATE_DIR, name + ".json"), "w") as f:
            json.dump({"pid": self.proc.pid, "port": self.port, "log": self.log.name,
                       "namespaces": self.namespaces}, f)

    @staticmethod
    def attach(name):
        """The controller a fixture's setup test left running under `name` (detach())."""
        path = os.path.join(STATE_DIR, name + ".json")
        if not os.path.exists(path):
            raise AssertionError("no controller left running as %r (%s): run the CTest test "
                                 "that sets it up first" % (name, path))
        with open(path) as f:
            return AttachedOperator(json.load(f))

    @staticmethod
    def stop_detached(name):
        """A fixture's cleanup: stops the controller detached as `name`, if there is one."""
        path = os.path.join(STATE_DIR, name + ".json")
        if os.path.exists(path):
            Operator.attach(name).stop()
            os.remove(path)

    def get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=5) as r:
            return r.read().decode()

    def metric(self, name, labels=""):
        """Sum of the samples of `name` whose label text contains `labels`."""
        total, seen = 0.0, False
        for line in self.get("/metrics").splitlines():
            if line.startswith(name) and (line[len(name)] in " {") and labels in line:
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        return total if seen else None

    def logs(self):
        with open(self.log.name, errors="replace") as f:
            return [json.loads(l) for l in f if l.startswith("{")]

    def identity(self):
        """The identity it runs under (leader election, Events' reportingInstance)."""
        for l in self.logs():
            if l.get("msg") == "starting leakguard controller":
                return l.get("identity")
        return None

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        return stop_process(self.proc, sig, timeout)


class AttachedOperator(Operator):
    """A controller started by an earlier test process (Operator.detach): not this process's
    child, so it is watched and stopped by its pid."""

    def __init__(self, state):  # noqa: the base starts a process; this one is running already
        self.port = state["port"]
        self.namespaces = state.get("namespaces", [])
        self.pid = state["pid"]
        self.log = type("Log", (), {"name": state["log"]})()

    def alive(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        for s, wait in ((sig, timeout), (signal.SIGKILL, 10)):
            if not self.alive():
                return 0
            try:
                os.kill(self.pid, s)
            except ProcessLookupError:
                return 0
            deadline = time.time() + wait
            while self.alive() and time.time() < deadline:
                time.sleep(0.2)
        return None if self.alive() else 0


class FaultProxy:
    """tests/faultproxy between a controller and the local cluster's API server: it answers the
    requests its rules match with faults (an HTTP status, a dropped connection, a stall) and
    passes the rest on. `kubeconfig_path` is a kubeconfig for the controller that goes through
    it. Rules: see tests/faultproxy/main.go."""

    def __init__(self, seed=1):
        import base64
        self.dir = tempfile.mkdtemp(prefix="leakguard-faultproxy-")
        with open(kubeconfig()) as f:
            kc = f.read()
        # The admin kubeconfig of e2e/cluster, written by its scripts: one cluster, one user,
        # the data inline. Read with the standard library (no YAML module needed).
        fields = {}
        for line in kc.splitlines():
            k, _, v = line.strip().partition(": ")
            if k in ("server", "certificate-authority-data", "client-certificate-data",
                     "client-key-data"):
                fields[k] = v.strip()
        for k, name in (("certificate-authority-data", "upstream-ca.crt"),
                        ("client-certificate-data", "client.crt"),
                        ("client-key-data", "client.key")):
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(base64.b64decode(fields[k]))
        binary = os.environ.get("LG_FAULTPROXY_BIN") or os.path.join(REPO, "build", "bin",
                                                                      "faultproxy")
        ready = os.path.join(self.dir, "ready.json")
        self.log = open(os.path.join(self.dir, "proxy.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "-upstream", fields["server"],
             "-upstream-ca", os.path.join(self.dir, "upstream-ca.crt"),
             "-client-cert", os.path.join(self.dir, "client.crt"),
             "-client-key", os.path.join(self.dir, "client.key"),
             "-ca-out", os.path.join(self.dir, "proxy-ca.crt"), "-ready-file", ready,
             "-seed", str(seed)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)  # it may outlive this test process (detach())
        wait_for("the fault proxy listening", lambda: os.path.exists(ready) or
                 self.proc.poll() is not None, 30, 0.1)
        if self.proc.poll() is not None:
            raise AssertionError("the fault proxy exited: %s" %
                                 open(os.path.join(self.dir, "proxy.log")).read())
        with open(ready) as f:
            addrs = json.load(f)
        self.admin = "http://" + addrs["admin"]
        with open(os.path.join(self.dir, "proxy-ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        self.kubeconfig_path = os.path.join(self.dir, "kubeconfig")
        with open(self.kubeconfig_path, "w") as f:
            f.write(kc.replace(fields["server"], "https://" + addrs["listen"])
                      .replace(fields["certificate-authority-data"], ca))

    def _call(self, method, path, body=None):
        req = urllib.request.Request(self.admin + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode()

    def rules(self, rules):
        self._call("PUT", "/rules", rules)

    def stalled(self):
        return json.loads(self._call("GET", "/stalled"))

    def release(self):
        self._call("POST", "/release", {})

    def requests(self):
        """Every request seen: {"method", "path", "fault", "status"}."""
        return [json.loads(l) for l in self._call("GET", "/log").splitlines() if l.strip()]

    def stop(self):
        stop_process(self.proc, timeout=10)
        self.log.close()

    def detach(self, name):
        """Leaves the proxy running after this test process ends, for a later test of the same
        CTest fixture to take over with FaultProxy.attach(name) (as Operator.detach)."""
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(os.path.join(STATE_DIR, name + ".proxy.json"), "w") as f:
            json.dump({"pid": self.proc.pid, "dir": self.dir, "admin": self.admin,
                       "kubeconfig": self.kubeconfig_path}, f)

    @staticmethod
    def attach(name):
        path = os.path.join(STATE_DIR, name + ".proxy.json")
        if not os.path.exists(path):
            raise AssertionError("no fault proxy left running as %r (%s): run the CTest test "
                                 "that sets it up first" % (name, path))
        with open(path) as f:
            return AttachedFaultProxy(json.load(f))

    @staticmethod
    def stop_detached(name):
        """A fixture's cleanup: stops the proxy detached as `name`, if there is one."""
        path = os.path.join(STATE_DIR, name + ".proxy.json")
        if os.path.exists(path):
            FaultProxy.attach(name).stop()
            os.remove(path)


class AttachedFaultProxy(FaultProxy):
    """A fault proxy started by an earlier test process (FaultProxy.detach), stopped by pid."""

    def __init__(self, state):  # noqa: the base starts a process; this one is running already
        self.pid = state["pid"]
        self.dir = state["dir"]
        self.admin = state["admin"]
        self.kubeconfig_path = state["kubeconfig"]

    def stop(self):
        AttachedOperator.stop(self)

    alive = AttachedOperator.alive


def audit_events(ns, subresource=None, resource=None):
    """The API server's audit events (e2e/cluster/audit-log) of requests in namespace `ns`,
    optionally of one resource and subresource, completed (ResponseComplete)."""
    path = subprocess.run([os.path.join(REPO, "e2e/cluster/audit-log")], capture_output=True,
                          text=True).stdout.strip()
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if ns not in line:
                continue
            try:
                e = json.loads(line)
            except ValueError:
                continue
            ref = e.get("objectRef", {})
            if ref.get("namespace") != ns or e.get("stage") != "ResponseComplete":
                continue
            if subresource is not None and ref.get("subresource", "") != subresource:
                continue
            if resource is not None and ref.get("resource") != resource:
                continue
            out.append(e)
    return out


def evictions(ns):
    """Pod names evicted for real in `ns` (not dry runs), per the API server's audit log."""
    out = []
    for e in audit_events(ns, subresource="eviction"):
        if e.get("verb") != "create" or e.get("responseStatus", {}).get("code") not in (200, 201):
            continue
        if (e.get("requestObject") or {}).get("deleteOptions", {}).get("dryRun"):
            continue
        out.append(e["objectRef"]["name"])
    return out


def leaky_deployment(ns, name, replicas=1, limit="256Mi", **envs):
    """A Deployment of the test workload (e2e/workloads/leaky) with the given LEAK_* settings."""
    e = [{"name": k, "value": str(v)} for k, v in envs.items()]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"terminationGracePeriodSeconds": 5,
                                       "containers": [{
                                           "name": "app", "image": "localhost/leaky:1",
                                           "imagePullPolicy": "Never", "env": e,
                                           "resources": {"limits": {"memory": limit},
                                                         "requests": {"memory": "32Mi"}}}]}}}}


def apply(obj):
    kubectl("apply", "-f", "-", input=json.dumps(obj))


def with_readiness(dep, delay):
    """The Deployment `dep` of leaky_deployment(), Ready only `delay` seconds after a start."""
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["ports"] = [{"containerPort": 6060, "name": "http"}]
    c["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": 6060},
                           "initialDelaySeconds": delay, "periodSeconds": 2}
    return dep


def fresh_namespace(name):
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", timeout=180)
    kubectl("create", "namespace", name)
