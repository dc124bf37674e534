"""Helpers of the packaging tests: the pinned helm of e2e/cluster, rendering the chart, reading
the rendered objects. Needs PyYAML (Debian: python3-yaml)."""
import os
import subprocess

try:
    import yaml
except ImportError as e:  # a failure, not a skip: the checks below cannot run without it
    raise SystemExit("tests/packaging needs PyYAML (apt-get install python3-yaml): %s" % e)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(REPO, "charts", "leakguard")


def tool_env():
    """The environment of the cluster scripts: the pinned helm and kubectl first on PATH."""
    out = subprocess.run(["bash", "-c", ". '%s/e2e/cluster/env' && env -0" % REPO],
                         capture_output=True, check=True).stdout
    return dict(kv.split("=", 1) for kv in out.decode().split("\0") if "=" in kv)


ENV = tool_env()


def helm(*args, check=True, timeout=300):
    r = subprocess.run(["helm", *args], capture_output=True, text=True, env=ENV, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("helm %s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                             r.stdout, r.stderr))
    return r


def set_args(values):
    out = []
    for k, v in (values or {}).items():
        out += ["--set", "%s=%s" % (k, v)]
    return out


def render(values=None, release="leakguard", namespace="leakguard-system"):
    """The chart's objects (templates only, not crds/) as rendered with `values` (--set)."""
    text = helm("template", release, CHART, "--namespace", namespace, *set_args(values)).stdout
    return [d for d in yaml.safe_load_all(text) if d]


# Value sets that between them render every template and every branch of the chart.
VARIANTS = {
    "defaults": {},
    "everything-on": {"metrics.serviceMonitor.enabled": "true", "agent.kernelLog": "true",
                      "metrics.podMonitor.enabled": "true",
                      "metrics.prometheusRule.enabled": "true",
                      "metrics.prometheusRule.runbookBaseURL": "https://git.example.com/lg/"},
    "no-monitoring": {"metrics.serviceMonitor.enabled": "false", "metrics.annotations": "false",
                      "metrics.podMonitor.enabled": "false",
                      "metrics.prometheusRule.enabled": "false", "agent.metricsPort": "0"},
    "single-replica-no-election": {"controller.replicas": "1",
                                   "controller.leaderElection": "false"},
    "no-agent-no-service": {"agent.enabled": "false", "metrics.service.enabled": "false"},
    "scoped-to-two-namespaces": {"watchNamespaces": "{shop,billing}"},
    "scoped-without-nodes-or-agent": {"watchNamespaces": "{shop}",
                                      "controller.nodeAccess": "false", "agent.enabled": "false"},
    "every-action": {"actions.rollback": "true", "actions.enforceQuota": "true",
                     "actions.reschedule": "true"},
    "shared-agent-certificate": {"agent.tls.perNode": "false"},
    "agent-pods-from-the-api": {"agent.podSource": "api"},
    "scoped-agent-pods-from-the-api": {"watchNamespaces": "{shop}", "agent.podSource": "api"},
    "unverified-agents": {"agent.tls.generate": "false"},
    "no-action": {"actions.%s" % a: "false" for a in (
        "annotate", "captureDiagnostics", "event", "label", "resizeLimits", "restart")},
}


def containers(obj):
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    return spec, spec.get("containers", []) + spec.get("initContainers", [])
