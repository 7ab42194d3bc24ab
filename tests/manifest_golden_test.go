package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/yaml"
)

// manifestMode is one representative configuration of a chart whose full rendering is pinned.
type manifestMode struct {
	chart, name string
	values      obj
}

// Values chosen so that every rendered value can be traced back to one input: each name, label,
// annotation, image field, resource figure and token lifetime differs from every chart default.
func traceOperator(extra obj) obj {
	v := obj{
		"image":                     obj{"repository": "example.com/operator-image", "tag": "op-tag", "pullPolicy": "Always"},
		"serviceAccount":            obj{"name": "op-account", "annotations": obj{"trace.example.com/sa": "op-annotation"}, "labels": obj{"trace.example.com/sa-label": "op-label"}},
		"apiTokenExpirationSeconds": 1234,
		"resources":                 obj{"requests": obj{"cpu": "11m", "memory": "65Mi"}, "limits": obj{"memory": "257Mi"}},
		"registryAPI": obj{
			"serviceAccount": obj{"name": "registry-account", "annotations": obj{"trace.example.com/reg": "reg-annotation"}},
			"rules": arr{
				obj{"why": "Trace rule one.", "apiGroups": arr{"trace.example.com"}, "resources": arr{"widgets"}, "verbs": arr{"get", "list", "watch"}},
				obj{"why": "Trace rule two, pinned.", "apiGroups": arr{""}, "resources": arr{"secrets"}, "resourceNames": arr{"registry-token"}, "verbs": arr{"get"}},
			},
		},
	}
	return merge(v, extra)
}

func traceRegistryServer(extra obj) obj {
	v := obj{
		"image":                     obj{"repository": "example.com/server-image", "tag": "srv-tag", "pullPolicy": "Never"},
		"serviceAccount":            obj{"name": "srv-account", "annotations": obj{"trace.example.com/sa": "srv-annotation"}},
		"apiTokenExpirationSeconds": 4321,
		"resources":                 obj{"requests": obj{"cpu": "12m", "memory": "66Mi"}, "limits": obj{"memory": "258Mi"}},
		"rbac": obj{"rules": arr{
			obj{"why": "Trace rule one.", "apiGroups": arr{"trace.example.com"}, "resources": arr{"gadgets"}, "verbs": arr{"get", "list"}},
			obj{"why": "Trace rule two, pinned.", "apiGroups": arr{""}, "resources": arr{"secrets"}, "resourceNames": arr{"server-token"}, "verbs": arr{"get", "update"}},
		}},
	}
	return merge(v, extra)
}

// merge returns a deep merge of extra over base (maps merged, anything else replaced).
func merge(base, extra obj) obj {
	out := obj{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		if bm, ok := out[k].(obj); ok {
			if em, ok := v.(obj); ok {
				out[k] = merge(bm, em)
				continue
			}
		}
		out[k] = v
	}
	return out
}

var manifestModes = []manifestMode{
	{"operator", "runtime-rbac-watching-two", traceOperator(obj{"rbac": obj{"watchNamespaces": arr{"team-a", "team-b"}}})},
	{"operator", "runtime-rbac-cluster-wide-default-names", obj{"fullnameOverride": "op-full"}},
	{"operator", "cluster-scoped-registry", traceOperator(obj{"registryAPI": obj{"clusterScoped": true}})},
	{"operator", "cluster-scoped-registry-watching-one", traceOperator(obj{"registryAPI": obj{"clusterScoped": true}, "rbac": obj{"watchNamespaces": arr{"team-a"}}})},
	{"operator", "namespace-scoped", traceOperator(obj{"rbac": obj{"namespaceScoped": true}, "nameOverride": "op-name"})},
	{"operator", "disabled-workload-rbac", traceOperator(obj{"rbac": obj{"disableWorkloadRBAC": true}})},
	{"registry-server", "cluster-wide", traceRegistryServer(nil)},
	{"registry-server", "namespace-scoped-watching-two", traceRegistryServer(obj{"rbac": obj{"namespaceScoped": true, "watchNamespaces": arr{"team-a", "team-b"}}, "fullnameOverride": "srv-full"})},
	{"registry-server", "per-namespace-cluster-role", traceRegistryServer(obj{"rbac": obj{"watchNamespaces": arr{"team-a"}}})},
	{"registry-server", "disabled-workload-rbac", traceRegistryServer(obj{"rbac": obj{"disableWorkloadRBAC": true}})},
}

// TestManifestGolden pins the full rendered manifests of representative modes of both charts, beside
// the who-can tables: a dropped resourceNames, selector label, securityContext field or token path
// fails here even where no RBAC check or promise looks. The comparison is semantic (object by object,
// field by field); `go test ./tests/ -run TestManifestGolden -update` rewrites the files.
func TestManifestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range manifestModes {
		m := m
		path := filepath.Join("testdata", "manifests", m.chart, m.name+".yaml")
		seen[path] = true
		t.Run(m.chart+" "+m.name, func(t *testing.T) {
			res := render(t, m.chart, "rel", m.values)
			want, ok := readGolden(t, path, res.Manifest())
			if !ok {
				return
			}
			compareManifests(t, path, want, res.Manifest())
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "manifests", "*", "*.yaml"))
	for _, f := range files {
		if !seen[f] {
			if *update {
				_ = os.Remove(f)
				continue
			}
			t.Errorf("golden manifest %s belongs to no mode: remove it or run with -update", f)
		}
	}
}

// compareManifests compares two multi-document manifests object by object, ignoring formatting,
// quoting and document order (each object's comment lines are compared in order).
func compareManifests(t *testing.T, path, want, got string) {
	t.Helper()
	w, err := objectsByKey(want)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g, err := objectsByKey(got)
	if err != nil {
		t.Fatalf("rendered manifest: %v", err)
	}
	keys := map[string]bool{}
	for k := range w {
		keys[k] = true
	}
	for k := range g {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		switch {
		case w[k] == nil:
			t.Errorf("%s: rendered %s, which the golden file does not have", path, k)
		case g[k] == nil:
			t.Errorf("%s: golden %s is no longer rendered", path, k)
		default:
			assert.Equal(t, w[k], g[k], "%s: %s differs (run with -update if the change is intended)", path, k)
		}
	}
}

// objectsByKey parses a manifest into its objects keyed by kind/namespace/name, each with its comment
// lines under the key "# comments".
func objectsByKey(manifest string) (map[string]obj, error) {
	out := map[string]obj{}
	for _, doc := range strings.Split(manifest, "\n---") {
		var o obj
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			return nil, err
		}
		if o == nil {
			continue
		}
		// Comments are compared too (the rules' "why", the pod's notes), as a list beside the fields.
		var comments []string
		for _, l := range strings.Split(doc, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "# Source: ") {
				comments = append(comments, l)
			}
		}
		o["# comments"] = comments
		md, _ := o["metadata"].(obj)
		key := fmt.Sprintf("%v/%v/%v", o["kind"], md["namespace"], md["name"])
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("two objects are %s", key)
		}
		out[key] = o
	}
	return out, nil
}
