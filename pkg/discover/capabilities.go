package discover

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// Kinds of capability candidates: templates gated on .Capabilities rather than on a value.
const (
	KubeVersion = "kubeVersion"
	APIVersion  = "apiVersion"
)

var (
	// apiHas finds `.Capabilities.APIVersions.Has "group/version"` (or "group/version/Kind").
	apiHas = regexp.MustCompile(`\.Capabilities\.APIVersions\.Has\s+"([^"]+)"`)
	// kubeGate finds `semverCompare "CONSTRAINT" .Capabilities.KubeVersion...`.
	kubeGate = regexp.MustCompile(`semverCompare\s+"([^"]+)"\s+\(?\s*\$?\.Capabilities\.KubeVersion`)
	minor    = regexp.MustCompile(`(\d+)\.(\d+)`)
)

// capabilityCandidates lists the .Capabilities gates in the templates of ch and its dependencies: one
// candidate per API version a template asks Has about (values: not served, served), and one for the
// Kubernetes version when a template compares it with semverCompare (values: the versions either side
// of each bound, vX.(Y-1).0 and vX.Y.0). Values[0] is nil: Helm's default capabilities.
func capabilityCandidates(ch *chart.Chart) []Candidate {
	apis := map[string]bool{}
	kube := map[[2]int]bool{} // major, minor
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			for _, m := range apiHas.FindAllStringSubmatch(string(t.Data), -1) {
				apis[m[1]] = true
			}
			for _, m := range kubeGate.FindAllStringSubmatch(string(t.Data), -1) {
				for _, v := range minor.FindAllStringSubmatch(m[1], -1) {
					major, _ := strconv.Atoi(v[1])
					min, _ := strconv.Atoi(v[2])
					for _, n := range []int{min - 1, min} {
						if n >= 0 {
							kube[[2]int{major, n}] = true
						}
					}
				}
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	var out []Candidate
	if len(kube) > 0 {
		vs := make([][2]int, 0, len(kube))
		for v := range kube {
			vs = append(vs, v)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i][0] < vs[j][0] || (vs[i][0] == vs[j][0] && vs[i][1] < vs[j][1]) })
		vals := []interface{}{nil}
		for _, v := range vs {
			vals = append(vals, fmt.Sprintf("v%d.%d.0", v[0], v[1]))
		}
		out = append(out, Candidate{Path: ".Capabilities.KubeVersion", Kind: KubeVersion, Source: "templates", Values: vals})
	}
	for _, a := range slices.Sorted(maps.Keys(apis)) {
		out = append(out, Candidate{Path: fmt.Sprintf(".Capabilities.APIVersions.Has %q", a), Kind: APIVersion, Source: "templates", Values: []interface{}{nil, a}})
	}
	return out
}

// isCapability tells a capability candidate from a values path.
func (c Candidate) isCapability() bool { return c.Kind == KubeVersion || c.Kind == APIVersion }

// capabilityAxis is the matrix axis of a kept capability candidate: every version it tried (the
// default is not nameable, and the versions on either side of each bound render both branches), or
// the API version absent and served.
func capabilityAxis(d Decision) matrix.Axis {
	if d.Kind == APIVersion {
		return matrix.Axis{APIVersions: [][]string{{}, {fmt.Sprint(d.Values[len(d.Values)-1])}}}
	}
	var vs []string
	for _, v := range d.Values {
		if v != nil {
			vs = append(vs, fmt.Sprint(v))
		}
	}
	return matrix.Axis{KubeVersion: vs}
}
