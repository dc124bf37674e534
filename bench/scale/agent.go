package main

// The simulated node agents of the harness's usage run (bench/scale/README.md, "Usage at
// scale"): one agent pod per fake node in the agent namespace (Running, Ready, a loopback pod IP
// of its own), and one HTTPS listener per agent IP that answers GET /v1/samples as a real agent
// does, with the samples of every container the API server places on that node. The samples are
// computed, not stored: tick k of a node (every `interval`, from `history` ago) holds one sample
// per container, seq = k * containers + j + 1, so the controller may ask for any of them.
// This is a benchmark seam for the controller's ingestion and detection, not a test of the agent.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const agentLabel = "app.kubernetes.io/name"

type simContainer struct {
	podUID, ns, pod, name, id string
	limit                     int64
	shape                     int // 0 flat, 1 GC sawtooth, 2 leak
	base                      float64
}

type simNode struct {
	name       string
	ip         string
	containers []simContainer
	served     atomic.Uint64 // the highest seq handed out
	detection  simDetection
}

type simAgents struct {
	start    time.Time
	leakSpan time.Duration // a leak starts with the history and reaches its limit after this
	interval time.Duration
	nodes    []*simNode
	samples  atomic.Uint64
	assigned atomic.Uint64 // assignments received (detection)
	reports  atomic.Uint64 // reports sent (detection)
	sizings  atomic.Uint64 // sizing summaries sent (detection)
}

// agentIP: the loopback address of node i's agent (127.10.0.1 onwards).
func agentIP(i int) string { return fmt.Sprintf("127.%d.%d.%d", 10+i/62500, (i/250)%250, i%250+1) }

func runAgents(cs *kubernetes.Clientset, ns string, port int, history, interval time.Duration, leakEvery int,
	leaksFile string) {
	a := &simAgents{interval: interval, leakSpan: history + 2*time.Hour}
	a.start = time.Now().Add(-history).Truncate(interval)
	a.nodes = nodesWithContainers(cs, leakEvery)
	if leaksFile != "" {
		writeLeaks(a.nodes, leaksFile)
	}
	failed := pool(len(a.nodes), 32, func(i int) error {
		a.nodes[i].ip = agentIP(i)
		return createAgentPod(cs, ns, a.nodes[i].name, a.nodes[i].ip, i)
	})
	if failed > 0 {
		os.Exit(1)
	}
	cert := selfSigned()
	containers := 0
	for _, n := range a.nodes {
		containers += len(n.containers)
		n := n
		l, err := net.Listen("tcp", net.JoinHostPort(n.ip, strconv.Itoa(port)))
		if err != nil {
			fail("listen on %s:%d: %v", n.ip, port, err)
		}
		srv := &http.Server{
			Handler:     http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.serve(n, w, r) }),
			TLSConfig:   &tls.Config{Certificates: []tls.Certificate{cert}},
			ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		}
		go func() { _ = srv.ServeTLS(l, "", "") }()
	}
	fmt.Printf("agents %d nodes, %d containers, history from %s\n", len(a.nodes), containers,
		a.start.UTC().Format(time.RFC3339))
	go a.reportCatchUp()
	// SIGUSR1 prints the samples served so far; SIGTERM and SIGINT print them and stop.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	for s := range sig {
		fmt.Printf("served %d samples\n", a.samples.Load())
		fmt.Printf("detection %d assignments %d reports %d sizings\n", a.assigned.Load(), a.reports.Load(),
			a.sizings.Load())
		if s != syscall.SIGUSR1 {
			return
		}
	}
}

// writeLeaks: "namespace/pod container" of every leaking container, one a line, sorted.
func writeLeaks(nodes []*simNode, path string) {
	var lines []string
	for _, n := range nodes {
		for _, c := range n.containers {
			if c.shape == 2 {
				lines = append(lines, c.ns+"/"+c.pod+" "+c.name+"\n")
			}
		}
	}
	sort.Strings(lines)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		fail("write %s: %v", path, err)
	}
}

// nodesWithContainers: every scalebench pod's containers, by node.
func nodesWithContainers(cs *kubernetes.Clientset, leakEvery int) []*simNode {
	byNode := map[string]*simNode{}
	count := 0
	eachPod(cs, func(p *corev1.Pod) {
		n := byNode[p.Spec.NodeName]
		if n == nil {
			n = &simNode{name: p.Spec.NodeName}
			byNode[p.Spec.NodeName] = n
		}
		for k, st := range p.Status.ContainerStatuses {
			lim := p.Spec.Containers[k].Resources.Limits.Memory().Value()
			h := hash64(string(p.UID), st.Name)
			sc := simContainer{podUID: string(p.UID), ns: p.Namespace, pod: p.Name, name: st.Name,
				id: st.ContainerID, limit: lim, shape: int(h % 2), base: 0.25 + 0.25*unit(h>>8)}
			if leakEvery > 0 && count%leakEvery == leakEvery-1 {
				sc.shape = 2
			}
			count++
			n.containers = append(n.containers, sc)
		}
	})
	out := make([]*simNode, 0, len(byNode))
	for _, n := range byNode {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func createAgentPod(cs *kubernetes.Clientset, ns, node, ip string, i int) error {
	c, cancel := ctx()
	defer cancel()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "leakguard-agent-" + node, Namespace: ns,
			Labels: map[string]string{agentLabel: "leakguard-agent"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "agent", Image: "localhost/leakguard:sim"}}},
	}
	created, err := cs.CoreV1().Pods(ns).Create(c, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	created.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		HostIP:     fmt.Sprintf("10.%d.%d.1", i/250, i%250),
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}}
	_, err = cs.CoreV1().Pods(ns).UpdateStatus(c, created, metav1.UpdateOptions{})
	return err
}

// serve answers GET /v1/samples?since=S&limit=L with the node's samples from seq S (1-based) up
// to the last tick that has happened, at most L of them.
func (a *simAgents) serve(n *simNode, w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/detection":
		a.serveDetection(n, w, r)
		return
	case "/v1/series":
		a.serveSeries(n, w, r)
		return
	case "/v1/sizing":
		a.serveSizing(n, w, r)
		return
	}
	if r.URL.Path != "/v1/samples" {
		http.NotFound(w, r)
		return
	}
	since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
	limit, _ := strconv.ParseUint(r.URL.Query().Get("limit"), 10, 64)
	if since == 0 {
		since = 1
	}
	if limit == 0 || limit > 5000 {
		limit = 5000
	}
	per := uint64(len(n.containers))
	// Ticks 0..ticks-1 are complete (tick `ticks`, under way, is served once the next begins).
	ticks := uint64(time.Since(a.start) / a.interval)
	last := ticks * per // the newest seq there is
	end := since + limit - 1
	more := end < last
	if !more {
		end = last
	}
	buf := make([]byte, 0, 128+700*int(max(end+1, since)-since))
	buf = append(buf, `{"node":"`...)
	buf = append(buf, n.name...)
	buf = append(buf, `","epoch":"sim","dropped":0,"next":`...)
	buf = strconv.AppendUint(buf, max(end+1, since), 10)
	buf = append(buf, `,"more":`...)
	buf = strconv.AppendBool(buf, more)
	buf = append(buf, `,"samples":[`...)
	for seq := since; seq <= end; seq++ {
		if seq > since {
			buf = append(buf, ',')
		}
		buf = a.appendSample(buf, n, seq)
	}
	buf = append(buf, "]}"...)
	if end >= since {
		a.samples.Add(end - since + 1)
		for {
			old := n.served.Load()
			if end <= old || n.served.CompareAndSwap(old, end) {
				break
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf)
}

func (a *simAgents) appendSample(buf []byte, n *simNode, seq uint64) []byte {
	per := uint64(len(n.containers))
	k := (seq - 1) / per
	c := &n.containers[(seq-1)%per]
	t := a.start.Add(time.Duration(k) * a.interval)
	anon := c.memoryAt(time.Duration(k)*a.interval, a.leakSpan)
	fds := 20 + int64(hash64(c.id, strconv.FormatUint(k/30, 10))%4)
	threads := 12 + int64(hash64(c.id, "t")%8)
	s := func(key, v string) {
		buf = append(buf, '"')
		buf = append(buf, key...)
		buf = append(buf, `":"`...)
		buf = append(buf, v...)
		buf = append(buf, '"', ',')
	}
	i := func(key string, v int64) {
		buf = append(buf, '"')
		buf = append(buf, key...)
		buf = append(buf, `":`...)
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ',')
	}
	buf = append(buf, `{"seq":`...)
	buf = strconv.AppendUint(buf, seq, 10)
	buf = append(buf, `,"time":`...)
	buf = strconv.AppendFloat(buf, float64(t.UnixMilli())/1000, 'f', 3, 64)
	buf = append(buf, ',')
	s("podUid", c.podUID)
	s("namespace", c.ns)
	s("pod", c.pod)
	s("container", c.name)
	s("containerId", c.id)
	buf = append(buf, `"running":true,"cgroupVersion":1,`...)
	s("cgroup", "/kubepods/burstable/pod"+c.podUID+"/"+c.id[len("containerd://"):])
	buf = append(buf, `"memory":{`...)
	i("usage", anon+8<<20)
	i("workingSet", anon+4<<20)
	i("anon", anon)
	i("file", 8<<20)
	i("shmem", 0)
	buf = strconv.AppendInt(append(buf, `"limit":`...), c.limit, 10)
	buf = append(buf, `},"pids":{`...)
	i("current", threads)
	buf = append(buf, `"max":0},"processes":{`...)
	i("count", 1)
	i("threads", threads)
	i("fdsTotal", fds)
	i("fdsMax", fds)
	buf = append(buf, `"fdsSoftLimit":1048576},"oomKills":0}`...)
	return buf
}

// memoryAt: anon bytes at `at` after the history's start. Flat with 1% noise, a GC sawtooth
// (+15% of the limit over 20 minutes, then back), or a leak that reaches the limit `leakSpan`
// after the history's start (two hours after the harness started).
func (c *simContainer) memoryAt(at, leakSpan time.Duration) int64 {
	lim := float64(c.limit)
	v := c.base * lim * (1 + 0.01*(unit(hash64(c.id, strconv.FormatInt(int64(at), 10)))-0.5))
	switch c.shape {
	case 1:
		v += 0.15 * lim * math.Mod(at.Minutes(), 20) / 20
	case 2:
		v += (1 - c.base) * lim * at.Minutes() / leakSpan.Minutes()
	}
	return int64(v) &^ 4095
}

// reportCatchUp prints "caught up" once every node has handed out every tick but the newest.
func (a *simAgents) reportCatchUp() {
	for range time.Tick(2 * time.Second) {
		ticks := uint64(time.Since(a.start) / a.interval)
		if ticks == 0 {
			continue
		}
		behind := uint64(0)
		for _, n := range a.nodes {
			want := (ticks - 1) * uint64(len(n.containers)) // every tick but the newest
			if got := n.served.Load(); got < want {
				behind += want - got
			}
		}
		if behind == 0 {
			fmt.Printf("caught up: %d samples served\n", a.samples.Load())
			return
		}
	}
}

func hash64(a, b string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(a))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(b))
	return h.Sum64()
}

// unit: a hash as a number in [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fail("key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "leakguard-agent"},
		DNSNames: []string{"leakguard-agent"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		fail("certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
