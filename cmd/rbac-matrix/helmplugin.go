package main

import (
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
)

// helmPluginName is the plugin's name in plugin.yaml: helm sets HELM_PLUGIN_NAME to it when it runs
// `helm rbac-matrix ...`.
const helmPluginName = "rbac-matrix"

// helmPluginArgs gives back, as a flag, the namespace helm took from the command line. Run as
// `helm rbac-matrix`, helm (v3 and v4 alike) consumes -n/--namespace itself, before the plugin sees its
// arguments, and passes the namespace on as HELM_NAMESPACE; but HELM_NAMESPACE is set on every run, to
// the kubeconfig context's namespace or "default" when no -n was given. So the namespace counts as
// chosen (and is passed on as -n, which every subcommand that takes a namespace reads as helm and kubectl
// do) only when it differs from the one helm would have used without -n: computed here from the same
// kubeconfig and context (KUBECONFIG, HELM_KUBECONTEXT) as helm does. Otherwise nothing is added and the
// subcommand's own default applies (the spec's namespace, else "default"), exactly as when rbac-matrix
// runs on its own: it never reads the kubeconfig. Outside helm, args come back unchanged.
func helmPluginArgs(args []string, getenv func(string) string) []string {
	ns := getenv("HELM_NAMESPACE")
	if getenv("HELM_PLUGIN_NAME") != helmPluginName || ns == "" || len(args) == 0 {
		return args
	}
	switch args[0] {
	case "-h", "--help", "help":
		return args
	}
	if ns == helmDefaultNamespace(getenv) {
		return args
	}
	return append([]string{args[0], "-n", ns}, args[1:]...)
}

// helmDefaultNamespace is the namespace helm uses when no -n is given: the kubeconfig context's,
// else "default" (helm's cli.EnvSettings.Namespace without a namespace flag).
func helmDefaultNamespace(getenv func(string) string) string {
	rules := &clientcmd.ClientConfigLoadingRules{Precedence: []string{clientcmd.RecommendedHomeFile}}
	if kc := getenv("KUBECONFIG"); kc != "" {
		rules.Precedence = filepath.SplitList(kc)
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: getenv("HELM_KUBECONTEXT")}
	ns, _, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}
