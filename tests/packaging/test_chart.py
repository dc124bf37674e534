#!/usr/bin/env python3
"""The Helm chart without a cluster: `helm lint --strict` is clean for every variant of the
values, the schema refuses typos, the chart's CRDs are crds/, its appVersion is the project's
version, manifests/ is what scripts/render-manifests makes of the chart now, and every container
runs non-root on a read-only root filesystem with no capabilities (the agent's documented
exceptions aside)."""
import difflib
import filecmp
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkgtest import (CHART, ENV, REPO, VARIANTS, containers, helm, render,  # noqa: E402
                     set_args, yaml)


def read_lines(path):
    with open(path) as f:
        return f.read().splitlines(True)


class Lint(unittest.TestCase):
    def test_lint_strict_is_clean_for_every_variant(self):
        for name, values in VARIANTS.items():
            with self.subTest(variant=name):
                r = helm("lint", "--strict", CHART, *set_args(values), check=False)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                # Clean: not even an [INFO] line.
                notes = [l for l in r.stdout.splitlines() if re.match(r"\s*\[(INFO|WARNING|ERROR)\]", l)]
                self.assertEqual(notes, [], r.stdout)

    def test_schema_refuses_typos_and_bad_values(self):
        for values, expect in [
            ({"controller.replics": "3"}, "additional properties 'replics' not allowed"),
            ({"agent.intervall": "5s"}, "additional properties 'intervall' not allowed"),
            ({"controller.logLevel": "loud"}, "logLevel"),
            ({"agent.interval": "10"}, "/agent/interval"),
            ({"image.pullPolicy": "Sometimes"}, "pullPolicy"),
            ({"image.tag": "latest"}, "not latest"),
            ({"controller.leaderElection": "false"}, "leaderElection=false needs controller.replicas=1"),
            ({"watchNamespaces": "{Shop}"}, "watchNamespaces"),
            ({"watchNamespaces": "{a,a}"}, "watchNamespaces"),
        ]:
            with self.subTest(values=values):
                r = helm("template", "x", CHART, *set_args(values), check=False)
                self.assertNotEqual(r.returncode, 0, "accepted %r" % values)
                self.assertIn(expect, r.stderr)


class SingleSources(unittest.TestCase):
    def test_chart_crds_are_the_top_level_crds(self):
        top = sorted(f for f in os.listdir(os.path.join(REPO, "crds")) if f.endswith(".yaml"))
        chart = sorted(os.listdir(os.path.join(CHART, "crds")))
        self.assertEqual(chart, top, "run scripts/render-manifests")
        for f in top:
            self.assertTrue(filecmp.cmp(os.path.join(REPO, "crds", f), os.path.join(CHART, "crds", f),
                                        shallow=False), "charts/leakguard/crds/%s differs from crds/%s: "
                            "run scripts/render-manifests" % (f, f))

    def test_app_version_is_the_project_version(self):
        project = os.environ.get("LG_PROJECT_VERSION")
        if not project:
            with open(os.path.join(REPO, "CMakeLists.txt")) as f:
                project = re.search(r"project\(leakguard VERSION (\S+)", f.read()).group(1)
        with open(os.path.join(CHART, "Chart.yaml")) as f:
            app = re.search(r'^appVersion:\s*"?([^"\s]+)"?', f.read(), re.M).group(1)
        self.assertEqual(app, project, "Chart.yaml appVersion must be the binary's version "
                         "(it is the default image tag)")

    def test_manifests_are_rendered_from_the_chart(self):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([os.path.join(REPO, "scripts", "render-manifests"), "--out", tmp],
                           check=True, env=ENV, capture_output=True)
            committed = os.path.join(REPO, "manifests")
            diffs = []
            for root, _, files in os.walk(tmp):
                for f in sorted(files):
                    fresh = os.path.join(root, f)
                    rel = os.path.relpath(fresh, tmp)
                    old = os.path.join(committed, rel)
                    a = read_lines(old) if os.path.exists(old) else []
                    b = read_lines(fresh)
                    diffs += difflib.unified_diff(a, b, "manifests/" + rel, "rendered/" + rel)
            for root, _, files in os.walk(committed):
                for f in files:
                    rel = os.path.relpath(os.path.join(root, f), committed)
                    if rel != "README.md" and not os.path.exists(os.path.join(tmp, rel)):
                        diffs.append("manifests/%s: not rendered by scripts/render-manifests\n" % rel)
            self.assertEqual("".join(diffs), "",
                             "manifests/ is out of date: run scripts/render-manifests")


class Security(unittest.TestCase):
    def workloads(self, values):
        return [o for o in render(values) if o["kind"] in ("Deployment", "DaemonSet")]

    def assert_locked_down(self, name, pod, c):
        sc = c.get("securityContext", {})
        psc = pod.get("securityContext", {})
        self.assertIs(sc.get("runAsNonRoot", psc.get("runAsNonRoot")), True, name)
        self.assertEqual(sc.get("runAsUser", psc.get("runAsUser")), 65532, name)
        self.assertIs(sc.get("readOnlyRootFilesystem"), True, name)
        self.assertIs(sc.get("allowPrivilegeEscalation"), False, name)
        self.assertEqual(sc.get("capabilities"), {"drop": ["ALL"]}, name)
        self.assertNotIn("privileged", sc, name)
        seccomp = sc.get("seccompProfile", psc.get("seccompProfile"))
        self.assertEqual(seccomp, {"type": "RuntimeDefault"}, name)

    def test_every_container_runs_locked_down_by_default(self):
        seen = set()
        for o in self.workloads({}):
            pod, cs = containers(o)
            self.assertFalse(pod.get("hostNetwork", False))
            self.assertFalse(pod.get("hostIPC", False))
            for c in cs:
                seen.add(c["name"])
                self.assert_locked_down("%s/%s" % (o["metadata"]["name"], c["name"]), pod, c)
                self.assertTrue(c.get("resources", {}).get("limits", {}).get("memory"), c["name"])
                self.assertTrue(c.get("resources", {}).get("requests"), c["name"])
                self.assertIn("livenessProbe", c)
                self.assertIn("readinessProbe", c)
        self.assertEqual(seen, {"controller", "agent"})

    def test_agent_exceptions_are_exactly_the_documented_ones(self):
        agent = [o for o in self.workloads({}) if o["kind"] == "DaemonSet"][0]
        pod, _ = containers(agent)
        self.assertIs(pod.get("hostPID"), True)
        mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
        host = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
        # The kubelet's log links (agent.podSource=kubelet, the default): the pods of the node
        # without reading any from the API.
        self.assertEqual(host, {"host-cgroup": "/sys/fs/cgroup", "host-proc": "/proc",
                                "host-container-logs": "/var/log/containers"})
        api = [o for o in self.workloads({"agent.podSource": "api"}) if o["kind"] == "DaemonSet"]
        self.assertNotIn("host-container-logs", str(api[0]))
        for name in host:
            self.assertIs(mounts[name].get("readOnly"), True, name)
            self.assertEqual(mounts[name].get("recursiveReadOnly"), "IfPossible", name)
        # The kernel log is opt-in, and only then is the agent privileged.
        kl = [o for o in self.workloads({"agent.kernelLog": "true"}) if o["kind"] == "DaemonSet"][0]
        kpod, kcs = containers(kl)
        self.assertIs(kcs[0]["securityContext"].get("privileged"), True)
        self.assertIn("kmsg", {v["name"] for v in kpod["volumes"]})

    def test_controller_runs_two_replicas_with_leader_election_and_a_pdb(self):
        objs = render({})
        dep = [o for o in objs if o["kind"] == "Deployment"][0]
        self.assertEqual(dep["spec"]["replicas"], 2)
        args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertIn("--leader-elect", args)
        self.assertIn("--lease-namespace=leakguard-system", args)
        pdbs = [o for o in objs if o["kind"] == "PodDisruptionBudget"]
        self.assertEqual(len(pdbs), 1)
        self.assertEqual(pdbs[0]["spec"]["selector"]["matchLabels"],
                         dep["spec"]["selector"]["matchLabels"])
        self.assertIn("--lease-name=leakguard-controller", args)
        # The controllers create their Lease: a chart-owned one would make helm install fail
        # on any Lease left behind by an earlier install.
        self.assertFalse([o for o in objs if o["kind"] == "Lease"])
        # The agent accepts exactly the controller's ServiceAccount.
        ds = [o for o in objs if o["kind"] == "DaemonSet"][0]
        self.assertIn("--allowed-user=system:serviceaccount:leakguard-system:leakguard-controller",
                      ds["spec"]["template"]["spec"]["containers"][0]["args"])
        self.assertEqual(ds["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
                         "leakguard-agent", "the controller finds agents by this label")
        # Per-node certificates (the default): the agent asks for one naming its node; the
        # controller holds the CA with its key, signs, and checks each agent by its node.
        cargs = dep["spec"]["template"]["spec"]["containers"][0]["args"]
        aargs = ds["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertIn("--agent-ca-file=/var/run/secrets/leakguard/agent-ca/ca.crt", cargs)
        self.assertIn("--agent-server-name={node}.leakguard-agent", cargs)
        self.assertIn("--agent-signer-key-file=/var/run/secrets/leakguard/agent-ca/ca.key", cargs)
        self.assertIn("--agent-user=system:serviceaccount:leakguard-system:leakguard-agent", cargs)
        self.assertIn("--agent-certificate-lifetime=24h", cargs)
        self.assertIn("--certificate-signer=leakguard.io/agent-serving", aargs)
        self.assertIn("--certificate-lifetime=24h", aargs)
        self.assertFalse([a for a in aargs if a.startswith("--tls-")], aargs)
        ca = [v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "agent-ca"][0]
        self.assertEqual(ca["secret"]["items"], [{"key": "ca.crt", "path": "ca.crt"},
                                                 {"key": "ca.key", "path": "ca.key"}])
        self.assertEqual(ca["secret"]["defaultMode"], 0o440)
        [secret] = [o for o in objs if o["kind"] == "Secret"]
        self.assertEqual(sorted(secret["data"]), ["ca.crt", "ca.key"])
        self.assertEqual(ca["secret"]["secretName"], secret["metadata"]["name"])
        # The agents never mount it (no secret volume at all).
        self.assertFalse([v for v in ds["spec"]["template"]["spec"]["volumes"] if "secret" in v])
        self.assertEqual(ds["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
                         ["httpGet"]["path"], "/readyz")
        # One shared certificate (perNode false): the controller gets only the CA.
        shared = render({"agent.tls.perNode": "false"})
        sdep = [o for o in shared if o["kind"] == "Deployment"][0]
        sds = [o for o in shared if o["kind"] == "DaemonSet"][0]
        sargs = sdep["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertIn("--agent-server-name=leakguard-agent", sargs)
        self.assertFalse([a for a in sargs if a.startswith("--agent-signer")], sargs)
        sca = [v for v in sdep["spec"]["template"]["spec"]["volumes"] if v["name"] == "agent-ca"][0]
        self.assertEqual(sca["secret"]["items"], [{"key": "ca.crt", "path": "ca.crt"}])
        [ssecret] = [o for o in shared if o["kind"] == "Secret"]
        self.assertEqual(sorted(ssecret["data"]), ["ca.crt", "tls.crt", "tls.key"])
        self.assertEqual(sca["secret"]["secretName"], ssecret["metadata"]["name"])
        self.assertIn("--tls-key-file=/var/run/secrets/leakguard/tls/tls.key",
                      sds["spec"]["template"]["spec"]["containers"][0]["args"])
        # Without the generated certificate, nothing refers to it.
        plain = render({"agent.tls.generate": "false"})
        self.assertFalse([o for o in plain if o["kind"] == "Secret"])
        self.assertNotIn("agent-ca", str(plain))
        # A single replica gets no PDB (it would block every drain).
        self.assertFalse([o for o in render({"controller.replicas": "1"})
                          if o["kind"] == "PodDisruptionBudget"])

    def test_only_the_controller_reaches_the_agents_port(self):
        objs = render({})
        ds = [o for o in objs if o["kind"] == "DaemonSet"][0]
        dep = [o for o in objs if o["kind"] == "Deployment"][0]
        [np] = [o for o in objs if o["kind"] == "NetworkPolicy"]
        self.assertEqual(np["metadata"]["namespace"], "leakguard-system")
        self.assertEqual(np["spec"]["podSelector"]["matchLabels"],
                         ds["spec"]["selector"]["matchLabels"])
        self.assertEqual(np["spec"]["policyTypes"], ["Ingress"])
        rule, metrics = np["spec"]["ingress"]
        # Pods of the policy's own namespace (no namespaceSelector) that are the controller's.
        self.assertEqual(rule["from"], [{"podSelector": {
            "matchLabels": dep["spec"]["selector"]["matchLabels"]}}])
        https, plain = ds["spec"]["template"]["spec"]["containers"][0]["ports"]
        self.assertEqual((https["name"], plain["name"]), ("https", "http-metrics"))
        self.assertEqual(rule["ports"], [{"protocol": "TCP", "port": https["containerPort"]}])
        # The plain metrics port (the agent's own series only) is open to every pod by default,
        # to agent.networkPolicy.metricsFrom when set, and gone with agent.metricsPort=0.
        self.assertEqual(metrics, {"ports": [{"protocol": "TCP",
                                              "port": plain["containerPort"]}]})
        peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mon"}}}
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write('agent: {networkPolicy: {metricsFrom: [%s]}}\n' % json.dumps(peer))
            f.flush()
            text = helm("template", "leakguard", CHART, "--namespace", "leakguard-system",
                        "-f", f.name).stdout
        [np] = [o for o in yaml.safe_load_all(text) if o and o["kind"] == "NetworkPolicy"]
        self.assertEqual(np["spec"]["ingress"][1]["from"], [peer])
        objs = render({"agent.metricsPort": "0"})
        [np] = [o for o in objs if o["kind"] == "NetworkPolicy"]
        self.assertEqual(len(np["spec"]["ingress"]), 1)
        ds = [o for o in objs if o["kind"] == "DaemonSet"][0]
        self.assertEqual(len(ds["spec"]["template"]["spec"]["containers"][0]["ports"]), 1)
        self.assertNotIn("annotations", ds["spec"]["template"]["metadata"])
        self.assertFalse([o for o in render({"agent.networkPolicy.enabled": "false"})
                          if o["kind"] == "NetworkPolicy"])
        self.assertFalse([o for o in render({"agent.enabled": "false"})
                          if o["kind"] == "NetworkPolicy"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
