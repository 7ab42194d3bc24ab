package tests

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/workload-rbac/workload-rbac/pkg/valuesdoc"
)

// TestClusterScopedResourcesMatchTheLibrary: the schemas refuse a cluster-scoped resource in a rule
// that goes into a Role from pkg/valuesdoc's list, the library from workload-rbac.rules.clusterScopedResources;
// the two lists must name the same resources, or one layer would let through what the other refuses.
func TestClusterScopedResourcesMatchTheLibrary(t *testing.T) {
	src, err := os.ReadFile("../templates-lib/templates/lib/_rules.tpl")
	if err != nil {
		t.Fatal(err)
	}
	body := string(src)
	start := strings.Index(body, `{{- define "workload-rbac.rules.clusterScopedResources" -}}`)
	end := strings.Index(body[start:], "{{- end -}}")
	if start < 0 || end < 0 {
		t.Fatal("templates-lib/templates/lib/_rules.tpl has no workload-rbac.rules.clusterScopedResources define")
	}
	var library []string
	for _, m := range regexp.MustCompile(`"([a-z0-9.]+)"`).FindAllStringSubmatch(body[start:start+end], -1) {
		if m[1] != "workload-rbac.rules.clusterScopedResources" {
			library = append(library, m[1])
		}
	}
	var policy []string
	for group, resources := range valuesdoc.ClusterScopedResources {
		for _, r := range resources {
			if group == "" {
				policy = append(policy, r)
			} else {
				policy = append(policy, r+"."+group)
			}
		}
	}
	sort.Strings(library)
	sort.Strings(policy)
	if strings.Join(library, " ") != strings.Join(policy, " ") {
		t.Errorf("the library's cluster-scoped resources and pkg/valuesdoc.ClusterScopedResources differ:\nlibrary: %v\npolicy:  %v", library, policy)
	}
}
