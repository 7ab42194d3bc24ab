package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// helmValues are helm's other value flags: -f/--values, --set-json, --set-string, --set-file and
// --set-literal, read by Helm's own code (pkg/cli/values) so each means what it means to helm.
type helmValues struct {
	files, setJSON, setString, setFile, setLiteral multi
}

func (h *helmValues) register(fs *flag.FlagSet) {
	fs.Var(&h.files, "values", "a values file, as helm -f; repeatable, later files win (fixed for every combination)")
	fs.Var(&h.files, "f", "shorthand for --values")
	fs.Var(&h.setJSON, "set-json", "PATH=JSON as helm --set-json takes it; repeatable")
	fs.Var(&h.setString, "set-string", "PATH=STRING as helm --set-string takes it (never a bool or number); repeatable")
	fs.Var(&h.setFile, "set-file", "PATH=FILE as helm --set-file takes it (the file's content is the value); repeatable")
	fs.Var(&h.setLiteral, "set-literal", "PATH=VALUE as helm --set-literal takes it (no commas, braces or dots parsed); repeatable")
}

// axes turns the flags into single-valued axes: each -f a values-file axis (merged, in order, under
// every path setting, as helm merges -f under --set), and every value the other flags set a path
// axis. A path --set also gives is an error, since which one wins would depend on the flag order
// helm applies (--set-json, --set, --set-string, --set-file, --set-literal).
func (h *helmValues) axes(setPaths map[string]bool) (files, paths []matrix.Axis, err error) {
	for _, f := range h.files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, nil, usageError{fmt.Sprintf("--values %q: %v", f, err)}
		}
		files = append(files, matrix.Axis{ValuesFiles: map[string]string{f: abs}})
	}
	if len(h.setJSON)+len(h.setString)+len(h.setFile)+len(h.setLiteral) == 0 {
		return files, nil, nil
	}
	opts := values.Options{JSONValues: h.setJSON, StringValues: h.setString, FileValues: h.setFile, LiteralValues: h.setLiteral}
	merged, err := opts.MergeValues(nil)
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	leaves := map[string]interface{}{}
	flatten("", merged, leaves)
	keys := make([]string, 0, len(leaves))
	for k := range leaves {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if setPaths[k] {
			return nil, nil, usageError{fmt.Sprintf("%s is given by --set and by --set-json, --set-string, --set-file or --set-literal: give it once", k)}
		}
		paths = append(paths, matrix.Axis{Path: k, Values: []interface{}{leaves[k]}})
	}
	return files, paths, nil
}

// flatten lists the leaves of a values map by dotted path (a list or an empty map is a leaf).
func flatten(prefix string, m map[string]interface{}, into map[string]interface{}) {
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]interface{}); ok && len(sub) > 0 {
			flatten(p, sub, into)
			continue
		}
		into[p] = v
	}
}

// validateRelease checks a release name as helm install does.
func validateRelease(name string) error {
	if name == "" {
		return nil
	}
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return usageError{fmt.Sprintf("--release %q: %v (helm's rule: lowercase letters, digits and -, at most 53 characters)", name, err)}
	}
	return nil
}

// capabilities are helm template's --kube-version and --api-versions.
type capabilities struct {
	kubeVersion string
	apiVersions multi
}

func (c *capabilities) register(fs *flag.FlagSet) {
	fs.StringVar(&c.kubeVersion, "kube-version", "", "Kubernetes version for .Capabilities.KubeVersion, as helm template --kube-version (e.g. v1.33.0); several, comma-separated, are an axis")
	fs.Var(&c.apiVersions, "api-versions", "an API version for .Capabilities.APIVersions, as helm template --api-versions (e.g. monitoring.coreos.com/v1); repeatable")
}

// apply puts the flags into spec over its kubeVersion (several versions become a kubeVersion axis)
// and adds the API versions to its apiVersions.
func (c *capabilities) apply(spec *matrix.Spec) error {
	if c.kubeVersion != "" {
		vs := strings.Split(c.kubeVersion, ",")
		for _, v := range vs {
			if err := matrix.ValidateKubeVersion("--kube-version", strings.TrimSpace(v)); err != nil {
				return usageError{err.Error()}
			}
		}
		if len(vs) == 1 {
			spec.KubeVersion = vs[0]
		} else {
			for i := range vs {
				vs[i] = strings.TrimSpace(vs[i])
			}
			spec.Axes = append(spec.Axes, matrix.Axis{KubeVersion: vs})
		}
	}
	spec.APIVersions = append(spec.APIVersions, c.apiVersions...)
	return nil
}

// fixesValues tells whether the flags fix values (--set, -f or helm's other value flags): then check
// renders them as given instead of discovering axes (unless --discover).
func (c *common) fixesValues() bool {
	h := c.helm
	return len(c.sets)+len(h.files)+len(h.setJSON)+len(h.setString)+len(h.setFile)+len(h.setLiteral) > 0
}
