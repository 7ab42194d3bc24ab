//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/workload-rbac/workload-rbac/pkg/controlplane"
)

// TestMain starts a real etcd + kube-apiserver on loopback (pkg/controlplane), runs the suite against
// it and always tears it down. Without the binaries it fails when WORKLOAD_RBAC_E2E=1 (CI, make e2e)
// and otherwise prints SKIP with the reason.
func TestMain(m *testing.M) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cp, err := controlplane.Start(ctx, controlplane.Options{Users: []controlplane.User{{Name: groupMember, Groups: []string{groupMemberGroup}}}})
	cancel()
	if err != nil {
		if os.Getenv("WORKLOAD_RBAC_E2E") == "1" {
			fmt.Fprintf(os.Stderr, "FAIL: e2e: cannot start the control plane: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "SKIP: e2e: no control plane (%v); run `make e2e`\n", err)
		os.Exit(0)
	}
	stopOnSignal := controlplane.StopOnSignal(cp)
	defer stopOnSignal()
	dir, _ := os.MkdirTemp("", "workload-rbac-e2e-")
	if err := setUp(apiserverCluster{cp}, dir); err != nil {
		cp.Stop()
		fmt.Fprintf(os.Stderr, "FAIL: e2e set-up: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	report(start, cp.StartupDuration())
	cp.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

type apiserverCluster struct{ *controlplane.ControlPlane }
