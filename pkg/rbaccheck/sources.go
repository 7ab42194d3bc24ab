package rbaccheck

import "github.com/workload-rbac/workload-rbac/pkg/chartrender"

// SourcesOf maps each rendered object, as Describe names it in findings, to the template it came from
// (helm template's `# Source:`).
func SourcesOf(res *chartrender.Result) map[string]string {
	out := map[string]string{}
	if res == nil {
		return out
	}
	for i, o := range res.Objects {
		if i < len(res.Manifests) {
			out[Describe(o)] = res.Manifests[i].Name
		}
	}
	return out
}

// OriginsOf maps each rendered object, as Describe names it in findings, to where its document starts
// (chartrender.Origin: the template's rendered output for a chart, the file for manifests read as input).
func OriginsOf(res *chartrender.Result) map[string]chartrender.Origin {
	out := map[string]chartrender.Origin{}
	if res == nil {
		return out
	}
	for i, o := range res.Objects {
		if i < len(res.Origins) {
			out[Describe(o)] = res.Origins[i]
		}
	}
	return out
}
