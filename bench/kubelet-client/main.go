// Command kubelet-client times CRI calls the way the kubelet makes them: through
// k8s.io/cri-client, the kubelet's own remote runtime client (grpc-go, protobuf in Go). The
// lists bench (bench/lists.ts) runs it so that list latency is measured from the client that
// polls a production node, not only from Node.js.
//
// Usage: kubelet-client -endpoint unix:///path.sock -rpc ListContainers [-id ID,ID,...] [-n 1000] [-warmup 200]
//
// It prints one JSON object: {"rpc": ..., "items": <items in the last reply>, "ms": [per-call latencies],
// "at": [start of each call]}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	internalapi "k8s.io/cri-api/pkg/apis"
	remote "k8s.io/cri-client/pkg"
)

type result struct {
	RPC   string    `json:"rpc"`
	Items int       `json:"items"`
	Ms    []float64 `json:"ms"`
	// At is when each call started, in ms since the Unix epoch: slow calls can be matched
	// with what the server was doing then.
	At []float64 `json:"at"`
}

func main() {
	endpoint := flag.String("endpoint", "", "CRI endpoint, unix:///path")
	rpc := flag.String("rpc", "ListContainers", "ListPodSandbox | ListContainers | PodSandboxStatus | ContainerStatus | ListContainerStats | ListPodSandboxStats")
	ids := flag.String("id", "", "comma-separated ids the *Status RPCs cycle through")
	n := flag.Int("n", 1000, "timed calls")
	warmup := flag.Int("warmup", 200, "untimed calls first")
	flag.Parse()

	ctx := context.Background()
	rs, err := remote.NewRemoteRuntimeService(ctx, *endpoint, 10*time.Second, noop.NewTracerProvider(), false)
	if err != nil {
		fail(err)
	}
	idList := strings.Split(*ids, ",")
	call, err := caller(ctx, rs, *rpc, idList)
	if err != nil {
		fail(err)
	}
	for i := 0; i < *warmup; i++ {
		if _, err := call(i); err != nil {
			fail(err)
		}
	}
	out := result{RPC: *rpc, Ms: make([]float64, 0, *n), At: make([]float64, 0, *n)}
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		items, err := call(i)
		out.Ms = append(out.Ms, float64(time.Since(t0).Nanoseconds())/1e6)
		out.At = append(out.At, float64(t0.UnixNano())/1e6)
		if err != nil {
			fail(err)
		}
		out.Items = items
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

// caller returns one call of the named RPC; it answers how many items the reply held.
func caller(ctx context.Context, rs internalapi.RuntimeService, rpc string, ids []string) (func(int) (int, error), error) {
	id := func(i int) string { return ids[i%len(ids)] }
	switch rpc {
	case "ListPodSandbox":
		return func(int) (int, error) { r, err := rs.ListPodSandbox(ctx, nil); return len(r), err }, nil
	case "ListContainers":
		return func(int) (int, error) { r, err := rs.ListContainers(ctx, nil); return len(r), err }, nil
	case "ListContainerStats":
		return func(int) (int, error) { r, err := rs.ListContainerStats(ctx, nil); return len(r), err }, nil
	case "ListPodSandboxStats":
		return func(int) (int, error) { r, err := rs.ListPodSandboxStats(ctx, nil); return len(r), err }, nil
	case "PodSandboxStatus":
		return func(i int) (int, error) { _, err := rs.PodSandboxStatus(ctx, id(i), false); return 1, err }, nil
	case "ContainerStatus":
		return func(i int) (int, error) { _, err := rs.ContainerStatus(ctx, id(i), false); return 1, err }, nil
	}
	return nil, fmt.Errorf("unknown rpc %q", rpc)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kubelet-client:", err)
	os.Exit(2)
}
