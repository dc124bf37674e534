// scalebench: the Go half of LeakGuard's scale harness (bench/scale/README.md).
//
//	scalebench populate --kubeconfig K --pods N   nodes, namespaces, ReplicaSets and N pods bound
//	                                              to the nodes, with a running pod's status
//	scalebench churn --kubeconfig K --rate R --seconds S [--create-delete C]
//	                                              R status updates a second on random pods, and C
//	                                              creations and C deletions a second
//	scalebench informer --kubeconfig K            the baseline: a client-go pod informer of full
//	                                              objects over protobuf; prints "synced" when its
//	                                              cache holds every pod, then its event counts
//	scalebench count --kubeconfig K               pods on the server, by a paged LIST
//	scalebench agents --kubeconfig K [--agent-namespace NS] [--agent-port P] [--history D]
//	                  [--interval D] [--leak-every N] [--leaks-file F]
//	                                              simulated node agents (agent.go): an agent
//	                                              pod per node and its /v1/samples over HTTPS
//
// Every request has a deadline; every failure is counted and printed, and a run with failures
// exits non-zero.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	podsPerReplicaSet = 10
	namespaceCount    = 50
	podsPerNode       = 110
	labelKey          = "scalebench.leakguard.io/app"
	callTimeout       = 30 * time.Second
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scalebench populate|churn|informer|count|agents [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server")
	pods := fs.Int("pods", 1000, "populate: pods to create")
	workers := fs.Int("workers", 32, "populate/churn: concurrent requests")
	rate := fs.Float64("rate", 100, "churn: status updates a second")
	seconds := fs.Float64("seconds", 60, "churn: how long")
	createDelete := fs.Float64("create-delete", 0, "churn: pod creations (and as many deletions) a second")
	protobuf := fs.Bool("protobuf", true, "informer: protobuf encoding (client-go's default for built-in types)")
	agentNs := fs.String("agent-namespace", "leakguard-system", "agents: namespace of the agent pods")
	agentPort := fs.Int("agent-port", 9440, "agents: port of every agent IP")
	history := fs.Duration("history", 6*time.Hour, "agents: samples from this long ago")
	interval := fs.Duration("interval", 10*time.Second, "agents: time between a container's samples")
	leakEvery := fs.Int("leak-every", 200, "agents: one container in this many leaks (0: none)")
	leaksFile := fs.String("leaks-file", "", "agents: write the leaking containers here")
	_ = fs.Parse(os.Args[2:])
	if *kubeconfig == "" {
		fail("--kubeconfig is required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail("kubeconfig %s: %v", *kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 5000, 10000
	if os.Args[1] != "informer" {
		// The informer's LIST and watches run long; every other call has its own deadline too.
		cfg.Timeout = callTimeout
	}
	if *protobuf {
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	switch os.Args[1] {
	case "populate":
		populate(cs, *pods, *workers)
	case "churn":
		churn(cs, *rate, *seconds, *createDelete, *workers)
	case "informer":
		runInformer(cfg)
	case "count":
		fmt.Println(countPods(cs))
	case "agents":
		runAgents(cs, *agentNs, *agentPort, *history, *interval, *leakEvery, *leaksFile)
	default:
		fail("unknown command %q", os.Args[1])
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "scalebench: "+format+"\n", a...)
	os.Exit(1)
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

func nodeName(i int) string      { return fmt.Sprintf("scale-node-%05d", i) }
func namespaceName(i int) string { return fmt.Sprintf("scale-%03d", i) }

// pool runs f(i) for i in [0, n) on `workers` goroutines and returns how many failed.
func pool(n, workers int, f func(i int) error) int64 {
	var next, failed int64 = -1, 0
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					atomic.AddInt64(&failed, 1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "scalebench: %d of %d failed, the first: %v\n", failed, n, firstErr.Load())
	}
	return failed
}

func ignoreExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func populate(cs *kubernetes.Clientset, pods, workers int) {
	start := time.Now()
	nodes := (pods + podsPerNode - 1) / podsPerNode
	failed := pool(nodes, workers, func(i int) error { return createNode(cs, nodeName(i)) })
	failed += pool(namespaceCount, workers, func(i int) error {
		c, cancel := ctx()
		defer cancel()
		_, err := cs.CoreV1().Namespaces().Create(c, &corev1.Namespace{
			ObjectMeta: metav1.ObjectMeta{Name: namespaceName(i)}}, metav1.CreateOptions{})
		return ignoreExists(err)
	})
	sets := (pods + podsPerReplicaSet - 1) / podsPerReplicaSet
	uids := make([]types.UID, sets)
	failed += pool(sets, workers, func(i int) error {
		uid, err := createReplicaSet(cs, i)
		uids[i] = uid
		return err
	})
	failed += pool(pods, workers, func(i int) error {
		return createPod(cs, i, uids[i/podsPerReplicaSet], nodeName(i/podsPerNode))
	})
	fmt.Printf("populated %d pods on %d nodes in %.1fs\n", pods, nodes, time.Since(start).Seconds())
	if failed > 0 {
		os.Exit(1)
	}
}

func createNode(cs *kubernetes.Clientset, name string) error {
	c, cancel := ctx()
	defer cancel()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}}}
	created, err := cs.CoreV1().Nodes().Create(c, n, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi"),
			corev1.ResourcePods: resource.MustParse(fmt.Sprint(podsPerNode))},
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory",
				LastHeartbeatTime: now, LastTransitionTime: now},
		},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.34.4", ContainerRuntimeVersion: "containerd://1.7.24",
			OperatingSystem: "linux", Architecture: "amd64"},
	}
	created.Status.Allocatable = created.Status.Capacity
	_, err = cs.CoreV1().Nodes().UpdateStatus(c, created, metav1.UpdateOptions{})
	return err
}

func createReplicaSet(cs *kubernetes.Clientset, i int) (types.UID, error) {
	c, cancel := ctx()
	defer cancel()
	ns := namespaceName(i % namespaceCount)
	name := fmt.Sprintf("app-%05d-7d9f8c6b5", i)
	labels := map[string]string{labelKey: fmt.Sprintf("app-%05d", i), "pod-template-hash": "7d9f8c6b5"}
	replicas := int32(podsPerReplicaSet)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1.4.2"}}},
			},
		},
	}
	created, err := cs.AppsV1().ReplicaSets(ns).Create(c, rs, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		got, gerr := cs.AppsV1().ReplicaSets(ns).Get(c, name, metav1.GetOptions{})
		if gerr != nil {
			return "", gerr
		}
		return got.UID, nil
	}
	if err != nil {
		return "", err
	}
	return created.UID, nil
}

func podObject(i int, owner types.UID, node string) *corev1.Pod {
	set := i / podsPerReplicaSet
	app := fmt.Sprintf("app-%05d", set)
	container := func(name, image string, mem string, port int32) corev1.Container {
		return corev1.Container{
			Name: name, Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
			Ports: []corev1.ContainerPort{{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}},
			Env:   []corev1.EnvVar{{Name: "APP", Value: app}, {Name: "LOG_LEVEL", Value: "info"}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"),
					corev1.ResourceMemory: resource.MustParse(mem)},
				Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}},
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}
	}
	isController := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s-7d9f8c6b5-%05d", app, i),
			Namespace: namespaceName(set % namespaceCount),
			Labels:    map[string]string{labelKey: app, "pod-template-hash": "7d9f8c6b5"},
			Annotations: map[string]string{
				"kubectl.kubernetes.io/restartedAt": "2026-12-01T10:00:00Z"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet",
				Name: app + "-7d9f8c6b5", UID: owner, Controller: &isController, BlockOwnerDeletion: &isController}},
		},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{container("app", "registry.example/app:1.4.2", "256Mi", 8080),
				container("sidecar", "registry.example/proxy:2.0", "64Mi", 9901)},
			RestartPolicy: corev1.RestartPolicyAlways, DNSPolicy: corev1.DNSClusterFirst,
			SchedulerName: "default-scheduler", ServiceAccountName: "default",
		},
	}
}

func runningStatus(pod *corev1.Pod, i, restarts int) {
	started := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: started}
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{cond(corev1.PodReadyToStartContainers),
		cond(corev1.PodInitialized), cond(corev1.PodReady), cond(corev1.ContainersReady), cond(corev1.PodScheduled)}
	pod.Status.HostIP = fmt.Sprintf("10.%d.%d.1", (i/podsPerNode)/250, (i/podsPerNode)%250)
	pod.Status.HostIPs = []corev1.HostIP{{IP: pod.Status.HostIP}}
	pod.Status.PodIP = fmt.Sprintf("10.%d.%d.%d", 100+i/62500, (i/250)%250, i%250+2)
	pod.Status.PodIPs = []corev1.PodIP{{IP: pod.Status.PodIP}}
	pod.Status.StartTime = &started
	pod.Status.QOSClass = corev1.PodQOSBurstable
	pod.Status.ContainerStatuses = nil
	for k, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Ready: true, Started: &[]bool{true}[0], RestartCount: int32(restarts),
			Image: c.Image, ImageID: c.Image + "@sha256:" + fmt.Sprintf("%064x", k+1),
			ContainerID: fmt.Sprintf("containerd://%032x%032x", i, restarts*2+k),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
		})
	}
}

func createPod(cs *kubernetes.Clientset, i int, owner types.UID, node string) error {
	err := createRunning(cs, podObject(i, owner, node), i)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// createRunning creates the pod, then writes a running pod's status as a kubelet would.
func createRunning(cs *kubernetes.Clientset, pod *corev1.Pod, i int) error {
	c, cancel := ctx()
	defer cancel()
	created, err := cs.CoreV1().Pods(pod.Namespace).Create(c, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	runningStatus(created, i, 0)
	_, err = cs.CoreV1().Pods(created.Namespace).UpdateStatus(c, created, metav1.UpdateOptions{})
	return err
}

// churn: `rate` restart-count bumps a second on random pods (a strategic-merge patch of status,
// as a kubelet's), and `createDelete` pods created and as many deleted a second.
func churn(cs *kubernetes.Clientset, rate, seconds, createDelete float64, workers int) {
	list := listPods(cs)
	if len(list) == 0 {
		fail("no pods to churn")
	}
	type job struct {
		kind int // 0 update, 1 create, 2 delete
		idx  int
	}
	jobs := make(chan job, workers*4)
	var updates, creates, deletes, failed int64
	var wg sync.WaitGroup
	// Restart counts go on from where an earlier run left them (a patch that changes nothing
	// makes no watch event): each run starts at a base of its own start time.
	base := int32(time.Now().Unix()%1000000) * 1000
	restarts := make([]int32, len(list))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c, cancel := ctx()
				var err error
				switch j.kind {
				case 0:
					p := list[j.idx]
					r := base + atomic.AddInt32(&restarts[j.idx], 1)
					patch := fmt.Sprintf(`{"status":{"containerStatuses":[{"name":"app","restartCount":%d,"containerID":"containerd://%032x%032x"}]}}`,
						r, j.idx, int(r)*2)
					_, err = cs.CoreV1().Pods(p.Namespace).Patch(c, p.Name, types.StrategicMergePatchType,
						[]byte(patch), metav1.PatchOptions{}, "status")
					if err == nil {
						atomic.AddInt64(&updates, 1)
					}
				case 1:
					err = createChurnPod(cs, j.idx)
					if err == nil {
						atomic.AddInt64(&creates, 1)
					}
				case 2:
					ns, name := namespaceName(j.idx%namespaceCount), fmt.Sprintf("churn-%07d", j.idx)
					err = cs.CoreV1().Pods(ns).Delete(c, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
					if err == nil {
						atomic.AddInt64(&deletes, 1)
					}
				}
				cancel()
				if err != nil && atomic.AddInt64(&failed, 1) == 1 {
					fmt.Fprintf(os.Stderr, "scalebench: churn: %v\n", err)
				}
			}
		}()
	}
	start := time.Now()
	end := start.Add(time.Duration(seconds * float64(time.Second)))
	rng := rand.New(rand.NewSource(1))
	sent, made := 0, 0
	for now := time.Now(); now.Before(end); now = time.Now() {
		elapsed := now.Sub(start).Seconds()
		for float64(sent) < elapsed*rate {
			jobs <- job{0, rng.Intn(len(list))}
			sent++
		}
		for float64(made) < elapsed*createDelete {
			jobs <- job{1, made}
			if made >= 5 { // deletions trail creations by 5 pods
				jobs <- job{2, made - 5}
			}
			made++
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(jobs)
	wg.Wait()
	// What creations left behind is deleted, so a run leaves the pod count as it found it.
	for k := made - 5; k < made; k++ {
		if k >= 0 {
			c, cancel := ctx()
			if cs.CoreV1().Pods(namespaceName(k%namespaceCount)).Delete(c, fmt.Sprintf("churn-%07d", k),
				metav1.DeleteOptions{GracePeriodSeconds: new(int64)}) == nil {
				deletes++
			}
			cancel()
		}
	}
	fmt.Printf("churn: %d status updates, %d creations, %d deletions in %.1fs, %d failed\n",
		updates, creates, deletes, time.Since(start).Seconds(), failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func createChurnPod(cs *kubernetes.Clientset, k int) error {
	pod := podObject(k, "", nodeName(0))
	pod.Name = fmt.Sprintf("churn-%07d", k)
	pod.Namespace = namespaceName(k % namespaceCount)
	pod.OwnerReferences = nil
	return createRunning(cs, pod, k)
}

// eachPod calls f with every scalebench pod on the server, from a paged LIST.
func eachPod(cs *kubernetes.Clientset, f func(p *corev1.Pod)) {
	opts := metav1.ListOptions{Limit: 500, LabelSelector: labelKey}
	for {
		c, cancel := ctx()
		page, err := cs.CoreV1().Pods("").List(c, opts)
		cancel()
		if err != nil {
			fail("list pods: %v", err)
		}
		for i := range page.Items {
			f(&page.Items[i])
		}
		if page.Continue == "" {
			return
		}
		opts.Continue = page.Continue
	}
}

func listPods(cs *kubernetes.Clientset) []metav1.ObjectMeta {
	var out []metav1.ObjectMeta
	eachPod(cs, func(p *corev1.Pod) {
		out = append(out, metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace})
	})
	return out
}

func countPods(cs *kubernetes.Clientset) int { return len(listPods(cs)) }

// The baseline consumer: what a client-go controller holds for every pod.
func runInformer(cfg *rest.Config) {
	cs := kubernetes.NewForConfigOrDie(cfg)
	start := time.Now()
	factory := informers.NewSharedInformerFactory(cs, 0)
	inf := factory.Core().V1().Pods().Informer()
	var adds, updates, deletes atomic.Int64
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { adds.Add(1) },
		UpdateFunc: func(any, any) { updates.Add(1) },
		DeleteFunc: func(any) { deletes.Add(1) },
	})
	stop := make(chan struct{})
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, inf.HasSynced) {
		fail("informer never synced")
	}
	fmt.Printf("synced %d pods in %.3fs\n", len(inf.GetStore().ListKeys()), time.Since(start).Seconds())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	for s := range sig {
		fmt.Printf("cache %d pods; events: %d adds, %d updates, %d deletes\n",
			len(inf.GetStore().ListKeys()), adds.Load(), updates.Load(), deletes.Load())
		if s != syscall.SIGUSR1 {
			close(stop)
			return
		}
	}
}
