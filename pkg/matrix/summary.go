package matrix

import (
	"sort"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// Finding is one check's violations on one object across combinations (a render error: one message).
type Finding struct {
	Check    string             `json:"check"`
	Severity rbaccheck.Severity `json:"severity"`
	Object   string             `json:"object"`
	Message  string             `json:"message"`  // the first combination's
	Messages int                `json:"messages"` // distinct messages across the combinations
	Fix      string             `json:"fix"`
	Count    int                `json:"count"`
	Example  string             `json:"example"` // the first combination's name
	// DependsOn are the axis settings every one of the combinations has (and not every combination
	// of the run): what the finding depends on.
	DependsOn []string `json:"dependsOn"`
	// Reproduce, when set (see Reduce), are the settings that give the finding with every other axis
	// at its first value.
	Reproduce []string `json:"reproduce,omitempty"`
	// Combination is the example combination.
	Combination Combination `json:"-"`
}

// Rejection is one cause for which combinations failed to render as required.
type Rejection struct {
	Cause     string   `json:"cause"`
	Count     int      `json:"count"`
	Example   string   `json:"example"`
	DependsOn []string `json:"dependsOn"`
}

// Summary groups the reports of one run: findings by check × object, rejections by cause.
type Summary struct {
	Combinations int         `json:"combinations"`
	Findings     []Finding   `json:"findings"`
	Rejections   []Rejection `json:"rejections"`
	// Acknowledged are the audited exceptions (workload-rbac.io/allow with a reason), grouped by check,
	// object and reason: listed so they stay visible, never failing.
	Acknowledged []Acknowledgement `json:"acknowledged,omitempty"`
}

// Acknowledgement is one audited exception and the number of combinations that render it.
type Acknowledgement struct {
	Check  string `json:"check"`
	Object string `json:"object"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// acknowledged groups the reports' acknowledged findings by check, object and reason, in that order.
func acknowledged(reports []Report) []Acknowledgement {
	index := map[Acknowledgement]int{}
	var out []Acknowledgement
	for _, r := range reports {
		for _, v := range r.Acknowledged {
			k := Acknowledgement{Check: v.Check, Object: v.Object, Reason: v.Reason}
			if i, ok := index[k]; ok {
				out[i].Count++
				continue
			}
			index[k] = len(out)
			k.Count = 1
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Object < b.Object
	})
	return out
}

// Summarize groups the violations of the reports by check and object (render errors by message too,
// so each cause is one finding), errors first, the most frequent first.
func Summarize(reports []Report) Summary {
	s := Summary{Combinations: len(reports), Acknowledged: acknowledged(reports)}
	type group struct {
		f        Finding
		members  [][]string
		messages map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	rejections := map[string]*group{}
	var rejOrder []string
	for _, r := range reports {
		if r.Expected != "" {
			g, ok := rejections[r.Expected]
			if !ok {
				g = &group{f: Finding{Message: r.Expected, Example: r.Name}}
				rejections[r.Expected] = g
				rejOrder = append(rejOrder, r.Expected)
			}
			g.members = append(g.members, r.Combination.Settings)
		}
		seen := map[string]bool{}
		for _, v := range r.Violations {
			key := v.Check + "\x00" + v.Object
			if v.Check == "render-error" {
				key += "\x00" + v.Message
			}
			g, ok := groups[key]
			if !ok {
				g = &group{f: Finding{Check: v.Check, Severity: v.Severity, Object: v.Object, Message: v.Message, Fix: v.Fix, Example: r.Name, Combination: r.Combination},
					messages: map[string]bool{}}
				groups[key] = g
				order = append(order, key)
			}
			g.messages[v.Message] = true
			if !seen[key] { // one object may hold several violations of one check in a combination
				seen[key] = true
				g.members = append(g.members, r.Combination.Settings)
			}
		}
	}
	all := make([][]string, len(reports))
	for i, r := range reports {
		all[i] = r.Combination.Settings
	}
	for _, key := range order {
		g := groups[key]
		g.f.Count, g.f.Messages, g.f.DependsOn = len(g.members), len(g.messages), sharedSettings(g.members, all)
		s.Findings = append(s.Findings, g.f)
	}
	sort.SliceStable(s.Findings, func(i, j int) bool {
		a, b := s.Findings[i], s.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity == rbaccheck.Error
		}
		return a.Count > b.Count
	})
	for _, cause := range rejOrder {
		g := rejections[cause]
		s.Rejections = append(s.Rejections, Rejection{Cause: cause, Count: len(g.members), Example: g.f.Example, DependsOn: sharedSettings(g.members, all)})
	}
	return s
}

// sharedSettings are the settings every member has, leaving out those every combination has.
func sharedSettings(members, all [][]string) []string {
	if len(members) == 0 {
		return nil
	}
	var out []string
	for i, setting := range members[0] {
		if everyHas(members, i, setting) && !everyHas(all, i, setting) {
			out = append(out, setting)
		}
	}
	return out
}

func everyHas(combos [][]string, i int, setting string) bool {
	for _, c := range combos {
		if i >= len(c) || c[i] != setting {
			return false
		}
	}
	return true
}

// InertAxes names the axes (with more than one value) whose values all render identically: among
// combinations that differ only in that axis, no two render differently (objects, or error). An axis
// no two combinations differ in alone is not named (nothing to compare).
func InertAxes(spec *Spec, outcomes []Outcome) []string {
	t := NewInertTracker(spec)
	for _, o := range outcomes {
		t.Add(o)
	}
	return t.Axes()
}

func axisName(a Axis) string {
	switch {
	case a.Path != "":
		return a.Path
	case len(a.Namespace) > 0:
		return "namespace"
	case len(a.ReleaseName) > 0:
		return "releaseName"
	}
	return "valuesFiles"
}
