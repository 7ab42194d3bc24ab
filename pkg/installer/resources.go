package installer

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// Resource is the REST mapping of a kind: its plural resource and whether it is cluster-scoped.
type Resource struct {
	Plural        string
	ClusterScoped bool
}

// irregular are the built-in kinds whose plural is not the lower-case kind plus "s"/"es"/"ies".
var irregular = map[string]string{"Endpoints": "endpoints"}

// Mapper maps kinds to resources: built-in kinds through the client-go scheme, custom kinds through
// the chart's CustomResourceDefinitions, other kinds through the table given with --resource.
type Mapper struct {
	// Declared maps "Kind.group" (core group: "Kind") to its resource.
	Declared map[string]Resource
	crds     map[string]Resource
}

// ParseResource reads a --resource declaration: Kind.group=plural, with ",cluster" for a cluster-scoped
// kind, e.g. "Widget.example.com=widgets" or "Gadget.example.com=gadgets,cluster".
func ParseResource(s string) (string, Resource, error) {
	key, val, ok := strings.Cut(s, "=")
	plural, scope, _ := strings.Cut(val, ",")
	if !ok || key == "" || plural == "" || (scope != "" && scope != "cluster") {
		return "", Resource{}, fmt.Errorf("--resource %q: want Kind.group=plural or Kind.group=plural,cluster (e.g. Widget.example.com=widgets)", s)
	}
	return key, Resource{Plural: plural, ClusterScoped: scope == "cluster"}, nil
}

func (m *Mapper) learnCRD(o runtime.Object) {
	u, ok := o.(*unstructured.Unstructured)
	if !ok || u.GetKind() != "CustomResourceDefinition" {
		return
	}
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
	plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
	scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
	if kind == "" || plural == "" {
		return
	}
	if m.crds == nil {
		m.crds = map[string]Resource{}
	}
	m.crds[kind+"."+group] = Resource{Plural: plural, ClusterScoped: scope == "Cluster"}
}

// Map returns the object's API group and resource, or an error naming the object and the declaration
// to pass.
func (m *Mapper) Map(o runtime.Object) (schema.GroupResource, Resource, error) {
	gvk := o.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" {
		if gvks, _, err := scheme.Scheme.ObjectKinds(o); err == nil && len(gvks) > 0 {
			gvk = gvks[0]
		}
	}
	key := gvk.Kind
	if gvk.Group != "" {
		key += "." + gvk.Group
	}
	if r, ok := m.Declared[key]; ok {
		return schema.GroupResource{Group: gvk.Group, Resource: r.Plural}, r, nil
	}
	if r, ok := m.crds[key]; ok {
		return schema.GroupResource{Group: gvk.Group, Resource: r.Plural}, r, nil
	}
	if _, ok := o.(*unstructured.Unstructured); !ok && scheme.Scheme.Recognizes(gvk) {
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		if p, ok := irregular[gvk.Kind]; ok {
			plural.Resource = p
		}
		return plural.GroupResource(), Resource{Plural: plural.Resource, ClusterScoped: chartrender.ClusterScopedKinds[gvk.Kind]}, nil
	}
	if gvk.Kind == "CustomResourceDefinition" && gvk.Group == "apiextensions.k8s.io" {
		return schema.GroupResource{Group: gvk.Group, Resource: "customresourcedefinitions"}, Resource{Plural: "customresourcedefinitions", ClusterScoped: true}, nil
	}
	return schema.GroupResource{}, Resource{}, fmt.Errorf("%s: kind %s (apiVersion %s) is not built in and no CustomResourceDefinition of the chart defines it, so its resource and scope are unknown: pass --resource %s=PLURAL (add ,cluster if it is cluster-scoped)",
		chartrender.ObjectKey(o), gvk.Kind, gvk.GroupVersion().String(), key)
}

// ResourceOf adapts Map to rbaccheck.ResourceOf.
func (m *Mapper) ResourceOf(o runtime.Object) (string, string, error) {
	gr, _, err := m.Map(o)
	return gr.Group, gr.Resource, err
}

// decodeCRD decodes one of the chart's crds/ files (which `helm template` does not render).
func decodeCRD(name string, data []byte) ([]runtime.Object, error) {
	var out []runtime.Object
	for i, doc := range strings.Split("\n"+string(data), "\n---") {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", name, i, err)
		}
		out = append(out, u)
	}
	return out, nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
