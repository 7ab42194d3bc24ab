package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Under helm, -n reaches the plugin only as HELM_NAMESPACE, which helm also sets without -n (to the
// kubeconfig context's namespace, else "default"): only a namespace that differs from that default is
// passed on as -n.
func TestHelmPluginArgsPassOnTheNamespaceHelmConsumed(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "config")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {}}]
contexts:
- {name: ops, context: {cluster: c, user: u, namespace: ops}}
- {name: plain, context: {cluster: c, user: u}}
current-context: ops
`), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "absent")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"not run by helm", map[string]string{"HELM_NAMESPACE": "team-a"}, []string{"check", "c"}, []string{"check", "c"}},
		{"another plugin's env", map[string]string{"HELM_PLUGIN_NAME": "diff", "HELM_NAMESPACE": "team-a", "KUBECONFIG": missing}, []string{"check", "c"}, []string{"check", "c"}},
		{"no -n, no kubeconfig: default", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "default", "KUBECONFIG": missing}, []string{"check", "c"}, []string{"check", "c"}},
		{"-n team-a, no kubeconfig", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "team-a", "KUBECONFIG": missing}, []string{"who-can", "c", "-o", "json"}, []string{"who-can", "-n", "team-a", "c", "-o", "json"}},
		{"no -n, context namespace ops", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "ops", "KUBECONFIG": kubeconfig}, []string{"check", "c"}, []string{"check", "c"}},
		{"-n default against context ops", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "default", "KUBECONFIG": kubeconfig}, []string{"check", "c"}, []string{"check", "-n", "default", "c"}},
		{"--kube-context plain: default", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "default", "KUBECONFIG": kubeconfig, "HELM_KUBECONTEXT": "plain"}, []string{"check", "c"}, []string{"check", "c"}},
		{"--kube-context plain -n ops", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "ops", "KUBECONFIG": kubeconfig, "HELM_KUBECONTEXT": "plain"}, []string{"can-i", "c"}, []string{"can-i", "-n", "ops", "c"}},
		{"help is left alone", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "team-a", "KUBECONFIG": missing}, []string{"--help"}, []string{"--help"}},
		{"no arguments", map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "team-a", "KUBECONFIG": missing}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := helmPluginArgs(c.args, func(k string) string { return c.env[k] })
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("helmPluginArgs(%q) = %q, want %q", c.args, got, c.want)
			}
		})
	}
}

// The namespace a plugin run passes on means what -n means to the binary: for check, the release
// namespace (the spec's is overridden).
func TestHelmPluginNamespaceIsTheReleaseNamespace(t *testing.T) {
	env := map[string]string{"HELM_PLUGIN_NAME": "rbac-matrix", "HELM_NAMESPACE": "plugin-ns", "KUBECONFIG": filepath.Join(t.TempDir(), "absent")}
	args := helmPluginArgs([]string{"check", "../../charts/operator", "--set", "rbac.namespaceScoped=true"}, func(k string) string { return env[k] })
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if !strings.Contains(out, "Role plugin-ns/release-operator ") {
		t.Errorf("the release namespace plugin-ns is not the Role's namespace:\n%s", out)
	}
}
