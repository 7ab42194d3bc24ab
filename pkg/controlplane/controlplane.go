// Package controlplane starts a real etcd and kube-apiserver on loopback for end-to-end tests: free
// ports, a temporary data directory, RBAC authorization, ServiceAccount token signing (TokenRequest
// works), and an admin token in system:masters. Stop tears both down by the PIDs it started. There is
// no kubelet and no controller-manager: pods never run, namespaces are never finalized.
package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrBinariesMissing means kube-apiserver or etcd was not found; the message says how to build them.
var ErrBinariesMissing = errors.New("control plane binaries missing")

// Options configure Start. Empty fields take the defaults.
type Options struct {
	// APIServerBin and EtcdBin are the binaries; default $KUBE_APISERVER_BIN / $ETCD_BIN, else
	// $WORKLOAD_RBAC_BIN/{kube-apiserver,etcd} (default ~/.cache/workload-rbac/bin), where
	// scripts/controlplane/build.sh puts them.
	APIServerBin, EtcdBin string
	// Dir is the data directory; default a new temporary one, removed by Stop.
	Dir string
	// Users are people (not ServiceAccounts) the server authenticates, each with a token of its own in
	// the static token file: tests act as a member of a group with UserConfig.
	Users []User
}

// User is a person the control plane authenticates by a static token, with the groups it is in.
type User struct {
	Name   string
	Groups []string
}

// ControlPlane is a running etcd + kube-apiserver.
type ControlPlane struct {
	dir, host string
	ownDir    bool
	caPEM     []byte
	token     string
	users     map[string]string // user name -> token
	procs     []*proc
	startup   time.Duration
	version   string
	stopOnce  sync.Once
}

// BinDir is where scripts/controlplane/build.sh caches the binaries.
func BinDir() string {
	if d := os.Getenv("WORKLOAD_RBAC_BIN"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "workload-rbac", "bin")
}

func find(explicit, env, name string) (string, error) {
	for _, p := range []string{explicit, os.Getenv(env), filepath.Join(BinDir(), name)} {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
		if p == explicit || p == os.Getenv(env) {
			return "", fmt.Errorf("%w: %s %q does not exist: run scripts/controlplane/build.sh (make controlplane)", ErrBinariesMissing, name, p)
		}
	}
	return "", fmt.Errorf("%w: no %s in %s and $%s is unset: run scripts/controlplane/build.sh (make controlplane)", ErrBinariesMissing, name, BinDir(), env)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts etcd and kube-apiserver and waits until the API server is ready (ctx bounds the wait).
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	t0 := time.Now()
	apiBin, err := find(opts.APIServerBin, "KUBE_APISERVER_BIN", "kube-apiserver")
	if err != nil {
		return nil, err
	}
	etcdBin, err := find(opts.EtcdBin, "ETCD_BIN", "etcd")
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{dir: opts.Dir}
	if cp.dir == "" {
		if cp.dir, err = os.MkdirTemp("", "workload-rbac-controlplane-"); err != nil {
			return nil, err
		}
		cp.ownDir = true
	}
	fail := func(err error) (*ControlPlane, error) {
		cp.Stop()
		return nil, err
	}
	if cp.caPEM, err = pki(cp.dir); err != nil {
		return fail(err)
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	cp.token = hex.EncodeToString(tok)
	tokens := cp.token + ",admin,admin-uid,system:masters\n"
	cp.users = map[string]string{}
	for _, u := range opts.Users {
		if u.Name == "" || strings.ContainsAny(u.Name+strings.Join(u.Groups, ""), ",\"\n") {
			return fail(fmt.Errorf("controlplane: user %q with groups %q: names must be non-empty, without commas, quotes or newlines", u.Name, u.Groups))
		}
		_, _ = rand.Read(tok)
		cp.users[u.Name] = hex.EncodeToString(tok)
		tokens += fmt.Sprintf("%s,%s,%s-uid,\"%s\"\n", cp.users[u.Name], u.Name, u.Name, strings.Join(u.Groups, ","))
	}
	if err := os.WriteFile(filepath.Join(cp.dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return fail(err)
	}
	clientPort, err1 := freePort()
	peerPort, err2 := freePort()
	apiPort, err3 := freePort()
	if err := errors.Join(err1, err2, err3); err != nil {
		return fail(err)
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	if err := cp.spawn("etcd", etcdBin,
		"--name=e2e", "--data-dir="+filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL, "--initial-cluster=e2e="+peerURL,
		"--unsafe-no-fsync", "--log-level=warn"); err != nil {
		return fail(err)
	}
	f := func(n string) string { return filepath.Join(cp.dir, n) }
	if err := cp.spawn("kube-apiserver", apiBin,
		"--etcd-servers="+etcdURL, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort), "--tls-cert-file="+f("server.crt"), "--tls-private-key-file="+f("server.key"),
		"--token-auth-file="+f("tokens.csv"), "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+f("sa.key"), "--service-account-signing-key-file="+f("sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false", "--profiling=false"); err != nil {
		return fail(err)
	}
	cp.host = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := cp.waitReady(ctx); err != nil {
		return fail(err)
	}
	cp.startup = time.Since(t0)
	if dc, err := discovery.NewDiscoveryClientForConfig(cp.AdminConfig()); err == nil {
		if v, err := dc.ServerVersion(); err == nil {
			cp.version = v.GitVersion
		}
	}
	return cp, nil
}

func (cp *ControlPlane) spawn(name, bin string, args ...string) error {
	logf, err := os.Create(filepath.Join(cp.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	pr := &proc{name: name, cmd: cmd, exited: make(chan struct{})}
	cp.procs = append(cp.procs, pr)
	go func() { _ = cmd.Wait(); logf.Close(); close(pr.exited) }()
	return nil
}

// proc is a started process and a channel closed when it exits.
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

func (p *proc) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

func (cp *ControlPlane) waitReady(ctx context.Context) error {
	rt, err := rest.TransportFor(cp.AdminConfig())
	if err != nil {
		return err
	}
	client := &http.Client{Transport: rt, Timeout: 2 * time.Second}
	var last string
	for {
		for _, p := range cp.procs {
			if p.done() {
				return fmt.Errorf("%s exited before the API server was ready:\n%s", p.name, cp.logTail())
			}
		}
		resp, err := client.Get(cp.host + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready (%s): %w\n%s", last, ctx.Err(), cp.logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (cp *ControlPlane) logTail() string {
	var b strings.Builder
	for _, name := range []string{"etcd", "kube-apiserver"} {
		data, _ := os.ReadFile(filepath.Join(cp.dir, name+".log"))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(&b, "--- %s.log (tail)\n%s\n", name, strings.Join(lines, "\n"))
	}
	return b.String()
}

// AdminConfig is a client config for the admin (system:masters).
func (cp *ControlPlane) AdminConfig() *rest.Config { return cp.ConfigForToken(cp.token) }

// UserConfig is a client config that authenticates as one of Options.Users with its own token.
func (cp *ControlPlane) UserConfig(name string) (*rest.Config, error) {
	tok, ok := cp.users[name]
	if !ok {
		return nil, fmt.Errorf("controlplane: no user %q: list it in Options.Users", name)
	}
	return cp.ConfigForToken(tok), nil
}

// ConfigForToken is a client config that authenticates with a bearer token, e.g. a ServiceAccount's.
func (cp *ControlPlane) ConfigForToken(token string) *rest.Config {
	return &rest.Config{Host: cp.host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: cp.caPEM}, QPS: 200, Burst: 400}
}

// Version is the server's git version, e.g. v1.37.2.
func (cp *ControlPlane) Version() string { return cp.version }

// StartupDuration is the time from Start to a ready API server.
func (cp *ControlPlane) StartupDuration() time.Duration { return cp.startup }

// WriteKubeconfig writes an admin kubeconfig, for helm or kubectl.
func (cp *ControlPlane) WriteKubeconfig(path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: cp.host, CertificateAuthorityData: cp.caPEM}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: cp.token}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin"}
	kc.CurrentContext = "e2e"
	return clientcmd.WriteToFile(*kc, path)
}

// Stop kills kube-apiserver and etcd (their whole process groups) and removes the data directory it
// created. Safe to call more than once.
func (cp *ControlPlane) Stop() {
	cp.stopOnce.Do(func() {
		for i := len(cp.procs) - 1; i >= 0; i-- {
			p := cp.procs[i]
			pid := p.cmd.Process.Pid
			_ = syscall.Kill(-pid, syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(5 * time.Second):
			}
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-p.exited
		}
		if cp.ownDir {
			_ = os.RemoveAll(cp.dir)
		}
	})
}

// StopOnSignal stops cp when the process gets SIGINT or SIGTERM, then exits; call the returned func
// to stop listening.
func StopOnSignal(cp *ControlPlane) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			fmt.Fprintf(os.Stderr, "controlplane: %v: stopping etcd and kube-apiserver\n", s)
			cp.Stop()
			os.Exit(130)
		case <-done:
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
