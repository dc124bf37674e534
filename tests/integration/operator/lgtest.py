"""Helpers shared by LeakGuard's process-level integration and end-to-end tests: kubectl on the
local cluster of e2e/cluster, running `leakguard controller` as a child process, polling with a
deadline. Standard library only."""
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


class Operator:
    """`leakguard controller` run as a child process with its own health port and log file."""

    def __init__(self, port, *extra):
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="leakguard-%d-" % port, suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen(
            [leakguard_binary(), "controller", "--kubeconfig", kubeconfig(),
             "--health-address", "127.0.0.1:%d" % port, "--resync", "10", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=ENV)

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
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


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


def fresh_namespace(name):
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", timeout=180)
    kubectl("create", "namespace", name)
