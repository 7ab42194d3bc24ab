// Package permdiff computes the permission delta between two renderings: what each account gains and loses, where, and which objects come and go.
package permdiff

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// Change is one subject's permission on one resource in one scope that a rendering gains or loses.
type Change struct {
	Subject       string   `json:"subject"` // "ServiceAccount ns/name", "Group x", "User y"
	Scope         string   `json:"scope"`   // "cluster" or a namespace
	Resource      string   `json:"resource"`
	ResourceNames []string `json:"resourceNames,omitempty"`
	Verbs         []string `json:"verbs"`
	// Risky are the IDs of rbaccheck's risky-grant checks these verbs trigger (e.g. secrets-read).
	Risky []string `json:"risky,omitempty"`
}

// Where says where the permission holds: "in namespace x", "in every namespace", or "cluster-wide"
// for cluster-scoped resources and non-resource URLs.
func (c Change) Where() string {
	switch {
	case c.Scope != "cluster":
		return "in namespace " + c.Scope
	case strings.HasPrefix(c.Resource, "/") || rbaccheck.IsClusterScopedResource(c.Resource):
		return "cluster-wide"
	}
	return "in every namespace"
}

// What is the verbs and the resource: "get,list secrets", "get secrets named a, b".
func (c Change) What() string {
	s := strings.Join(c.Verbs, ",") + " " + c.Resource
	if len(c.ResourceNames) > 0 {
		s += " named " + strings.Join(c.ResourceNames, ", ")
	}
	return s
}

// Sentence reads "ServiceAccount ops/op gains get secrets in every namespace".
func (c Change) Sentence(verb string) string {
	return c.Subject + " " + verb + " " + c.What() + " " + c.Where()
}

// Delta is what rendering B changes against rendering A.
type Delta struct {
	Gained         []Change `json:"gained"`
	Lost           []Change `json:"lost"`
	ObjectsAdded   []string `json:"objectsAdded"`
	ObjectsRemoved []string `json:"objectsRemoved"`
}

// Empty tells whether the renderings grant the same and hold the same objects.
func (d Delta) Empty() bool {
	return len(d.Gained)+len(d.Lost)+len(d.ObjectsAdded)+len(d.ObjectsRemoved) == 0
}

// RiskyGains are the gained permissions that a risky-grant check flags.
func (d Delta) RiskyGains() []Change {
	var out []Change
	for _, c := range d.Gained {
		if len(c.Risky) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// atom is one verb of one subject on one resource (and resource name) in one scope.
type atom struct{ subject, scope, resource, names, verb string }

func atoms(m *rbaccheck.Model) map[atom]rbaccheck.Grant {
	out := map[atom]rbaccheck.Grant{}
	for _, g := range m.WhoCan() {
		for _, v := range g.Verbs {
			out[atom{g.Subject, g.Scope, g.Resource, strings.Join(g.ResourceNames, ","), v}] = g
		}
	}
	return out
}

// Compute is the delta from a to b: permissions (from each model's who-can table, so bindings,
// aggregation and built-in roles count as the API server counts them) and objects.
func Compute(a, b *rbaccheck.Model) Delta {
	aa, bb := atoms(a), atoms(b)
	d := Delta{Gained: group(minus(bb, aa)), Lost: group(minus(aa, bb)), ObjectsAdded: []string{}, ObjectsRemoved: []string{}}
	ao, bo := objects(a), objects(b)
	for k := range bo {
		if !ao[k] {
			d.ObjectsAdded = append(d.ObjectsAdded, k)
		}
	}
	for k := range ao {
		if !bo[k] {
			d.ObjectsRemoved = append(d.ObjectsRemoved, k)
		}
	}
	sort.Strings(d.ObjectsAdded)
	sort.Strings(d.ObjectsRemoved)
	return d
}

// minus is what x grants that y does not: a grant in one namespace is held in y when y grants it in
// every namespace (a ClusterRoleBinding).
func minus(x, y map[atom]rbaccheck.Grant) map[atom]rbaccheck.Grant {
	out := map[atom]rbaccheck.Grant{}
	for k, g := range x {
		wide := k
		wide.scope = "cluster"
		if _, ok := y[k]; ok {
			continue
		}
		if _, ok := y[wide]; ok {
			continue
		}
		out[k] = g
	}
	return out
}

// group merges the verbs of atoms that differ only in the verb, and marks the risky ones.
func group(as map[atom]rbaccheck.Grant) []Change {
	type key struct{ subject, scope, resource, names string }
	by := map[key]*Change{}
	for a, g := range as {
		k := key{a.subject, a.scope, a.resource, a.names}
		c := by[k]
		if c == nil {
			c = &Change{Subject: a.subject, Scope: a.scope, Resource: a.resource, ResourceNames: g.ResourceNames}
			by[k] = c
		}
		c.Verbs = append(c.Verbs, a.verb)
	}
	out := make([]Change, 0, len(by))
	for _, c := range by {
		sort.Strings(c.Verbs)
		c.Risky = rbaccheck.RiskyIDs(ruleOf(*c))
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].grant().Less(out[j].grant()) })
	return out
}

func (c Change) grant() rbaccheck.Grant {
	return rbaccheck.Grant{Subject: c.Subject, Scope: c.Scope, Resource: c.Resource, ResourceNames: c.ResourceNames}
}

// ruleOf turns a change back into a PolicyRule ("res/sub.group" as the who-can table writes it).
func ruleOf(c Change) rbacv1.PolicyRule {
	r := rbacv1.PolicyRule{Verbs: c.Verbs, ResourceNames: c.ResourceNames}
	if strings.HasPrefix(c.Resource, "/") {
		r.NonResourceURLs = []string{c.Resource}
		return r
	}
	res, grp, _ := strings.Cut(c.Resource, ".")
	r.Resources, r.APIGroups = []string{res}, []string{grp}
	return r
}

func objects(m *rbaccheck.Model) map[string]bool {
	out := map[string]bool{}
	for _, o := range m.Objects {
		out[rbaccheck.Describe(o)] = true
	}
	return out
}

// Text is the delta for a terminal: one line per change, then the objects.
func (d Delta) Text() string {
	var b strings.Builder
	for _, c := range d.Gained {
		fmt.Fprintf(&b, "+ %s%s\n", c.Sentence("gains"), riskNote(c))
	}
	for _, c := range d.Lost {
		fmt.Fprintf(&b, "- %s\n", c.Sentence("loses"))
	}
	for _, o := range d.ObjectsAdded {
		fmt.Fprintf(&b, "+ object %s\n", o)
	}
	for _, o := range d.ObjectsRemoved {
		fmt.Fprintf(&b, "- object %s\n", o)
	}
	if d.Empty() {
		b.WriteString("no change in permissions or objects\n")
	}
	return b.String()
}

func riskNote(c Change) string {
	if len(c.Risky) == 0 {
		return ""
	}
	return " (risky: " + strings.Join(c.Risky, ", ") + ")"
}

// Markdown is the delta for a pull-request comment: a table of the permission changes per account,
// the risky gains called out first, then the objects.
func (d Delta) Markdown(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### RBAC changes: %s\n\n", title)
	if d.Empty() {
		b.WriteString("No change in permissions or objects.\n")
		return b.String()
	}
	if r := d.RiskyGains(); len(r) > 0 {
		fmt.Fprintf(&b, "> [!WARNING]\n> %d risky permission(s) gained:\n", len(r))
		for _, c := range r {
			fmt.Fprintf(&b, "> - %s%s\n", md(c.Sentence("gains")), md(riskNote(c)))
		}
		b.WriteString("\n")
	}
	if len(d.Gained)+len(d.Lost) > 0 {
		b.WriteString("| Account | Change | Verbs | Resource | Where | Risky |\n| --- | --- | --- | --- | --- | --- |\n")
		row := func(c Change, change string) {
			res := "`" + c.Resource + "`"
			if len(c.ResourceNames) > 0 {
				res += " named " + md(strings.Join(c.ResourceNames, ", "))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", md(c.Subject), change, md(strings.Join(c.Verbs, ", ")), res, md(c.Where()), md(strings.Join(c.Risky, ", ")))
		}
		for _, c := range d.Gained {
			row(c, "gains")
		}
		for _, c := range d.Lost {
			row(c, "loses")
		}
		b.WriteString("\n")
	}
	for _, x := range []struct {
		label string
		objs  []string
	}{{"Objects added", d.ObjectsAdded}, {"Objects removed", d.ObjectsRemoved}} {
		if len(x.objs) > 0 {
			fmt.Fprintf(&b, "**%s:** %s\n\n", x.label, "`"+strings.Join(x.objs, "`, `")+"`")
		}
	}
	return b.String()
}

func md(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// Suppress drops the given risky-grant check IDs from every change's Risky list (e.g. workload-create
// for an operator whose job is to create Deployments), so they no longer count as risky gains.
func (d Delta) Suppress(ids map[string]bool) Delta {
	out := d
	out.Gained = make([]Change, len(d.Gained))
	for i, c := range d.Gained {
		var kept []string
		for _, id := range c.Risky {
			if !ids[id] {
				kept = append(kept, id)
			}
		}
		c.Risky = kept
		out.Gained[i] = c
	}
	return out
}
