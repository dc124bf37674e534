"""A real Prometheus (the one e2e/cluster/build-binaries builds from Go modules) for the tests:
started on loopback with LeakGuard's rules file, scraping the targets the test gives it in a
file (file_sd: the binary is built without the service discovery plugins), stopped by its pid.
Standard library only."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(REPO, "charts", "leakguard", "files", "leakguard.rules.yaml")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusServer:
    """with PrometheusServer(env) as prom: prom.set_targets([...]); prom.query("up")"""

    def __init__(self, env, interval="5s"):
        self.env = env
        self.interval = interval
        self.dir = tempfile.mkdtemp(prefix="lg-prom-")
        self.port = free_port()
        self.proc = None
        self.targets = os.path.join(self.dir, "targets.json")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        binary = shutil.which("prometheus", path=self.env.get("PATH"))
        if not binary:
            raise AssertionError("no prometheus on the PATH of e2e/cluster/env: run "
                                 "e2e/cluster/build-binaries (it builds it from Go modules)")
        self.set_targets([])
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            json.dump({"global": {"scrape_interval": self.interval,
                                  "evaluation_interval": self.interval},
                       "rule_files": [RULES],
                       # As the chart's ServiceMonitor and PodMonitor: the series' own
                       # namespace and pod labels win over the target's.
                       "scrape_configs": [{"job_name": "leakguard", "honor_labels": True,
                                           "file_sd_configs": [{"files": [self.targets],
                                                                "refresh_interval": "5s"}]}]},
                      f)
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + config, "--storage.tsdb.path=" + self.dir + "/data",
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited %d: %s" % (self.proc.returncode,
                                                                   self.log_tail()))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port,
                                            timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError("prometheus not ready in 60 s: %s" % self.log_tail())

    def log_tail(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-2000:]

    def set_targets(self, groups):
        """groups: [{"targets": ["ip:port"], "labels": {...}}] (file_sd), written atomically."""
        tmp = self.targets + ".tmp"
        with open(tmp, "w") as f:
            json.dump(groups, f)
        os.replace(tmp, self.targets)

    def query(self, promql):
        """The instant vector of `promql` now: [(labels, value)]."""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": promql}))
        with urllib.request.urlopen(url, timeout=30) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise AssertionError("query %s: %s" % (promql, body))
        return [(s["metric"], float(s["value"][1])) for s in body["data"]["result"]]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
