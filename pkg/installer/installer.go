// Package installer derives the minimal RBAC of the account that installs a chart across a matrix.
package installer

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// Grant modes: how the installer may create the chart's Roles, ClusterRoles and bindings.
const (
	// GrantEscalate (the default) gives the installer every rule the chart's roles grant, so Kubernetes'
	// escalation prevention lets it create them; it holds those permissions itself.
	GrantEscalate = "escalate"
	// GrantBind gives bind and escalate on the chart's roles only, pinned by name: the installer holds
	// fewer permissions, but may write any rule into those roles and bind them to anyone.
	GrantBind = "bind"
)

// Options say for whom and how to derive.
type Options struct {
	ServiceAccount rbaccheck.ServiceAccountRef
	GrantMode      string              // GrantEscalate ("" too) or GrantBind
	Resources      map[string]Resource // --resource declarations, by "Kind.group"
	// AllowLookup derives from templates that call lookup, rendered without a cluster (lookup returns
	// nothing), instead of refusing them.
	AllowLookup bool
}

// Rule is one derived rule and the objects that need it.
type Rule struct {
	rbacv1.PolicyRule
	Needs []string // what needs the rule, e.g. "Deployment/operators/rel-operator"
	Note  string   // an extra comment line (why a rule is not pinned, a trade-off)
}

// Result is the derived RBAC.
type Result struct {
	Chart          string
	ServiceAccount rbaccheck.ServiceAccountRef
	GrantMode      string
	Combinations   int // renderings derived from
	Rejected       int // combinations the spec expects to fail, skipped
	Cluster        []Rule
	Namespaces     map[string][]Rule
	Mapper         *Mapper
}

// Rendered are the renderings of a matrix and what derivation and proof need of them.
type Rendered struct {
	Chart    *chart.Chart
	Releases []rbaccheck.InstallerRelease
	Rejected int
}

// RenderSpec renders every combination of spec (as `rbac-matrix check` does). Combinations the spec
// expects to fail are skipped and counted; any other render error is returned, naming the combination.
// A spec with no release namespace is refused: the installer's Roles would land in a namespace only
// known at install time.
func RenderSpec(ctx context.Context, spec *matrix.Spec, parallelism int) (*Rendered, error) {
	loaded, err := spec.LoadChart()
	if err != nil {
		return nil, err
	}
	ch, err := matrix.V3(loaded)
	if err != nil {
		return nil, err
	}
	combos, err := matrix.Expand(spec)
	if err != nil {
		return nil, err
	}
	crds, err := chartCRDs(ch)
	if err != nil {
		return nil, err
	}
	out := &Rendered{Chart: ch}
	for _, o := range matrix.Render(ctx, loaded, combos, parallelism) {
		c := o.Combination
		if o.Err != nil {
			if expected(spec, o) {
				out.Rejected++
				continue
			}
			return nil, fmt.Errorf("combination %q does not render: %w", c.Name(), o.Err)
		}
		if c.Namespace == "" {
			return nil, fmt.Errorf("combination %q: %s and the other namespaced objects go to the release namespace, which is only given at install time: pass --namespace NS (or release.namespace in the spec), one per namespace the chart may be installed in",
				c.Name(), firstNamespaced(o.Result.Objects))
		}
		out.Releases = append(out.Releases, rbaccheck.InstallerRelease{Combination: c.Name(), Name: c.ReleaseName, Namespace: c.Namespace, Objects: o.Result.Objects, CRDs: crds})
	}
	return out, nil
}

func expected(spec *matrix.Spec, o matrix.Outcome) bool {
	for _, ef := range spec.Checks.ExpectFailures {
		if o.Combination.Matches(ef.When) && strings.Contains(o.Err.Error(), ef.Message) {
			return true
		}
	}
	return false
}

func firstNamespaced(objs []runtime.Object) string {
	for _, o := range objs {
		if !chartrender.IsClusterScoped(o) {
			return chartrender.ObjectKey(o)
		}
	}
	return "the release's Secrets"
}

func chartCRDs(ch *chart.Chart) ([]runtime.Object, error) {
	var out []runtime.Object
	for _, f := range ch.CRDObjects() {
		objs, err := decodeCRD(f.Filename, f.File.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

var lookupCall = regexp.MustCompile(`\blookup\s`)

// checkLookup refuses charts whose templates call lookup: what they render depends on the cluster.
func checkLookup(ch *chart.Chart) error {
	for _, c := range append([]*chart.Chart{ch}, ch.Dependencies()...) {
		for _, t := range c.Templates {
			for _, m := range regexp.MustCompile(`{{-?[^}]*}}`).FindAll(t.Data, -1) {
				if lookupCall.Match(m) {
					return fmt.Errorf("chart %s, template %s calls lookup (%s): what it renders depends on the cluster at install time, so objects it adds could be missing from the derived RBAC; render them without lookup, or pass --allow-lookup to derive from the rendering without cluster data",
						c.Name(), t.Name, strings.TrimSpace(string(m)))
				}
			}
		}
	}
	return nil
}

// key of an accumulated resource: the scope ("" cluster-wide) and the group/resource.
type key struct{ ns, group, resource string }

type acc struct {
	unnamed map[string]bool            // create/list/watch: who needs it
	named   map[string]map[string]bool // resource name -> verbs needed by name
	needs   map[string]map[string]bool // resource name -> object keys
}

// Derive derives the installer RBAC over every rendering.
func Derive(r *Rendered, opts Options) (*Result, error) {
	if opts.GrantMode == "" {
		opts.GrantMode = GrantEscalate
	}
	if opts.GrantMode != GrantEscalate && opts.GrantMode != GrantBind {
		return nil, fmt.Errorf("grant mode %q: use %s or %s", opts.GrantMode, GrantEscalate, GrantBind)
	}
	if opts.ServiceAccount.Namespace == "" || opts.ServiceAccount.Name == "" {
		return nil, fmt.Errorf("service account %q: give it as NAMESPACE/NAME", opts.ServiceAccount.String())
	}
	if !opts.AllowLookup {
		if err := checkLookup(r.Chart); err != nil {
			return nil, err
		}
	}
	mapper := &Mapper{Declared: opts.Resources}
	for _, rel := range r.Releases {
		for _, o := range append(append([]runtime.Object{}, rel.CRDs...), rel.Objects...) {
			mapper.learnCRD(o)
		}
	}
	res := &Result{Chart: r.Chart.Name(), ServiceAccount: opts.ServiceAccount, GrantMode: opts.GrantMode, Combinations: len(r.Releases),
		Rejected: r.Rejected, Namespaces: map[string][]Rule{}, Mapper: mapper}
	objs := map[key]*acc{}
	add := func(o runtime.Object, verbs []string) error {
		gr, rsc, err := mapper.Map(o)
		if err != nil {
			return err
		}
		m, err := meta.Accessor(o)
		if err != nil {
			return fmt.Errorf("%s: %w", chartrender.ObjectKey(o), err)
		}
		ns := m.GetNamespace()
		if rsc.ClusterScoped {
			ns = ""
		}
		k := key{ns, gr.Group, gr.Resource}
		a := objs[k]
		if a == nil {
			a = &acc{unnamed: map[string]bool{}, named: map[string]map[string]bool{}, needs: map[string]map[string]bool{}}
			objs[k] = a
		}
		obj := chartrender.ObjectKey(o)
		if rbaccheck.IsHook(o) {
			obj += " (hook " + m.GetAnnotations()["helm.sh/hook"] + ", delete policy " + deletePolicy(m.GetAnnotations()) + ")"
		}
		a.unnamed[obj] = true
		if a.named[m.GetName()] == nil {
			a.named[m.GetName()], a.needs[m.GetName()] = map[string]bool{}, map[string]bool{}
		}
		for _, v := range verbs {
			a.named[m.GetName()][v] = true
		}
		a.needs[m.GetName()][obj] = true
		return nil
	}
	store := map[string]map[string]bool{} // release namespace -> release names
	for _, rel := range r.Releases {
		if store[rel.Namespace] == nil {
			store[rel.Namespace] = map[string]bool{}
		}
		store[rel.Namespace][rel.Name] = true
		for _, o := range rel.CRDs {
			// Helm creates crds/ once (AlreadyExists is skipped) and reads them back to wait until
			// they are established; it never updates or deletes them.
			if err := add(o, []string{"get"}); err != nil {
				return nil, err
			}
		}
		for _, o := range rel.Objects {
			verbs := []string{"get", "update", "patch", "delete"}
			if rbaccheck.IsHook(o) {
				// Hooks are created, read back, and deleted by their delete policy (before-hook-creation
				// by default), never updated.
				verbs = []string{"get", "delete"}
			}
			if err := add(o, verbs); err != nil {
				return nil, err
			}
		}
	}
	for k, a := range objs {
		rules := objectRules(k, a)
		if k.ns == "" {
			res.Cluster = append(res.Cluster, rules...)
		} else {
			res.Namespaces[k.ns] = append(res.Namespaces[k.ns], rules...)
		}
	}
	for ns, names := range store {
		res.Namespaces[ns] = append(res.Namespaces[ns], storageRules(ns, names)...)
	}
	if err := res.addRoleRules(r.Releases); err != nil {
		return nil, err
	}
	res.sortRules() // first, so that which rule is dropped and which inherits its comment is stable
	res.dropCovered()
	res.sortRules()
	return res, nil
}

// dropCovered removes every rule the other rules of its scope (and, in a namespace, the cluster-wide
// rules) already cover, e.g. a pinned rule on roles when the chart's ClusterRole makes the installer
// hold roles everywhere; the objects that needed it are listed on a rule that covers it alone.
func (res *Result) dropCovered() {
	scopes := append(res.namespaces(), "")
	for _, ns := range scopes {
		for i := 0; i < len(res.scope(ns)); {
			rules := res.scope(ns)
			others := res.Without(RuleRef{ns, i})
			if ok, _ := validation.Covers(others.rulesIn(ns), []rbacv1.PolicyRule{rules[i].PolicyRule}); !ok {
				i++
				continue
			}
			dropped := rules[i]
			res.setScope(ns, others.scope(ns))
			if ns != "" {
				res.Cluster = others.Cluster
			}
			for _, cand := range []string{ns, ""} {
				for j, r := range res.scope(cand) {
					if ok, _ := validation.Covers([]rbacv1.PolicyRule{r.PolicyRule}, []rbacv1.PolicyRule{dropped.PolicyRule}); ok {
						for _, n := range dropped.Needs {
							res.scope(cand)[j].Needs = appendUnique(res.scope(cand)[j].Needs, n)
						}
						break
					}
				}
			}
		}
	}
}

func (res *Result) scope(ns string) []Rule {
	if ns == "" {
		return res.Cluster
	}
	return res.Namespaces[ns]
}

func (res *Result) setScope(ns string, rules []Rule) {
	if ns == "" {
		res.Cluster = rules
	} else {
		res.Namespaces[ns] = rules
	}
}

func deletePolicy(ann map[string]string) string {
	if p := ann["helm.sh/hook-delete-policy"]; p != "" {
		return p
	}
	return "before-hook-creation (Helm's default)"
}

func objectRules(k key, a *acc) []Rule {
	rules := []Rule{{PolicyRule: rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: []string{"create", "list", "watch"}},
		Needs: sortedKeys(a.unnamed), Note: "create, list and watch cannot be limited by resourceNames"}}
	// Group the names by the verbs they need (crds/ and hooks need fewer than release objects).
	byVerbs := map[string][]string{}
	for name, verbs := range a.named {
		byVerbs[strings.Join(verbOrder(verbs), ",")] = append(byVerbs[strings.Join(verbOrder(verbs), ",")], name)
	}
	for verbs, names := range byVerbs {
		sort.Strings(names)
		needs := map[string]bool{}
		for _, n := range names {
			for o := range a.needs[n] {
				needs[o] = true
			}
		}
		rules = append(rules, Rule{PolicyRule: rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: strings.Split(verbs, ","), ResourceNames: names},
			Needs: sortedKeys(needs)})
	}
	return rules
}

func storageRules(ns string, names map[string]bool) []Rule {
	rels := sortedKeys(names)
	var secrets []string
	for _, n := range rels {
		secrets = append(secrets, rbaccheck.HelmReleaseSecret(n, 1)+", .v2, ...")
	}
	needs := []string{"Helm release storage of " + strings.Join(rels, ", ") + " in " + ns + " (Secrets " + strings.Join(secrets, "; ") + ")"}
	return []Rule{
		{PolicyRule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create", "list"}}, Needs: needs,
			Note: "Helm creates one Secret per revision and lists the history by label; create and list cannot be pinned"},
		{PolicyRule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "update", "delete"}}, Needs: needs,
			Note: "NOT PINNED: revision N of sh.helm.release.v1.<release>.v<N> grows with every upgrade and rollback, so no resourceNames list stays correct; this reads every Secret in " + ns + " (use a release namespace without other Secrets, or Helm's configmap driver)"},
	}
}

// addRoleRules adds what creating the chart's roles and bindings takes: in escalate mode every rule
// they grant (where it is granted), in bind mode bind and escalate on the roles by name.
func (res *Result) addRoleRules(rels []rbaccheck.InstallerRelease) error {
	type src struct {
		ns    string
		rules []rbacv1.PolicyRule
		who   string
	}
	var srcs []src
	bindNames := map[key]map[string]bool{} // (scope, "", roles|clusterroles) -> names
	bindNeeds := map[key]map[string]bool{}
	bindOn := func(ns, resource, name, who string) {
		k := key{ns, rbacv1.GroupName, resource}
		if bindNames[k] == nil {
			bindNames[k], bindNeeds[k] = map[string]bool{}, map[string]bool{}
		}
		bindNames[k][name], bindNeeds[k][who] = true, true
	}
	for _, rel := range rels {
		rendered := map[string]bool{}
		for _, r := range chartrender.RolesOf(rel.Objects) {
			rendered["Role/"+r.Namespace+"/"+r.Name] = true
			if res.GrantMode == GrantBind {
				bindOn(r.Namespace, "roles", r.Name, chartrender.ObjectKey(r))
			} else {
				srcs = append(srcs, src{r.Namespace, r.Rules, chartrender.ObjectKey(r)})
			}
		}
		for _, r := range chartrender.ClusterRolesOf(rel.Objects) {
			rendered["ClusterRole/"+r.Name] = true
			if r.AggregationRule != nil && res.GrantMode != GrantBind {
				return fmt.Errorf("combination %q: %s has an aggregationRule, which Kubernetes lets only an account with escalate on it create: pass --grant-mode bind", rel.Combination, chartrender.ObjectKey(r))
			}
			if res.GrantMode == GrantBind {
				bindOn("", "clusterroles", r.Name, chartrender.ObjectKey(r))
			} else {
				srcs = append(srcs, src{"", r.Rules, chartrender.ObjectKey(r)})
			}
		}
		ref := func(b runtime.Object, ns string, rr rbacv1.RoleRef) error {
			k := "ClusterRole/" + rr.Name
			if rr.Kind == "Role" {
				k = "Role/" + ns + "/" + rr.Name
			}
			if rendered[k] {
				return nil
			}
			if res.GrantMode != GrantBind {
				return fmt.Errorf("combination %q: %s references %s, which the chart does not render, so its rules are unknown offline and the installer could not be given them: pass --grant-mode bind (bind pinned to %s), or render the role in the chart", rel.Combination, chartrender.ObjectKey(b), k, rr.Name)
			}
			if rr.Kind == "Role" {
				bindOn(ns, "roles", rr.Name, chartrender.ObjectKey(b))
			} else {
				bindOn("", "clusterroles", rr.Name, chartrender.ObjectKey(b))
			}
			return nil
		}
		for _, b := range chartrender.RoleBindingsOf(rel.Objects) {
			if err := ref(b, b.Namespace, b.RoleRef); err != nil {
				return err
			}
		}
		for _, b := range chartrender.ClusterRoleBindingsOf(rel.Objects) {
			if err := ref(b, "", b.RoleRef); err != nil {
				return err
			}
		}
	}
	for k, names := range bindNames {
		verbs := []string{"bind", "escalate"}
		r := Rule{PolicyRule: rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{k.resource}, Verbs: verbs, ResourceNames: sortedKeys(names)},
			Needs: sortedKeys(bindNeeds[k]), Note: "--grant-mode bind: the installer need not hold the roles' rules, but may put any rule into these roles and bind them to anyone"}
		res.addTo(k.ns, r)
	}
	// Escalate mode: each distinct rule once, where it is granted, unless the installer already holds
	// it there (cluster-wide rules count in every namespace).
	merged := map[string]*Rule{}
	var order []string
	for _, s := range srcs {
		for _, pr := range s.rules {
			id := s.ns + "|" + pr.String()
			if merged[id] == nil {
				merged[id] = &Rule{PolicyRule: *pr.DeepCopy(), Note: "escalation prevention: the installer must hold every rule it grants"}
				order = append(order, id)
			}
			merged[id].Needs = appendUnique(merged[id].Needs, s.who)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return strings.HasPrefix(order[i], "|") && !strings.HasPrefix(order[j], "|") })
	for _, id := range order {
		ns, _, _ := strings.Cut(id, "|")
		r := *merged[id]
		if ok, _ := validation.Covers(res.rulesIn(ns), []rbacv1.PolicyRule{r.PolicyRule}); ok {
			continue
		}
		res.addTo(ns, r)
	}
	return nil
}

func (res *Result) addTo(ns string, r Rule) {
	if ns == "" {
		res.Cluster = append(res.Cluster, r)
	} else {
		res.Namespaces[ns] = append(res.Namespaces[ns], r)
	}
}

func (res *Result) rulesIn(ns string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range res.Cluster {
		out = append(out, r.PolicyRule)
	}
	if ns != "" {
		for _, r := range res.Namespaces[ns] {
			out = append(out, r.PolicyRule)
		}
	}
	return out
}

// Grant is the derived RBAC as rbaccheck.InstallerCoverage takes it.
func (res *Result) Grant() rbaccheck.InstallerGrant {
	g := rbaccheck.InstallerGrant{ClusterRules: res.rulesIn(""), NamespaceRules: map[string][]rbacv1.PolicyRule{}}
	for ns, rules := range res.Namespaces {
		for _, r := range rules {
			g.NamespaceRules[ns] = append(g.NamespaceRules[ns], r.PolicyRule)
		}
	}
	return g
}

// Prove runs rbaccheck.InstallerCoverage over every rendering and returns the violations.
func (res *Result) Prove(r *Rendered) []rbaccheck.Violation {
	var out []rbaccheck.Violation
	g := res.Grant()
	for _, rel := range r.Releases {
		out = append(out, rbaccheck.InstallerCoverage(g, rel, res.Mapper.ResourceOf)...)
	}
	return out
}

// RuleCount is the number of derived rules.
func (res *Result) RuleCount() int {
	n := len(res.Cluster)
	for _, rules := range res.Namespaces {
		n += len(rules)
	}
	return n
}

// RuleRef names one derived rule: its scope ("" cluster) and index there.
type RuleRef struct {
	Namespace string
	Index     int
}

// Refs lists every rule, ClusterRole first, then namespaces in order.
func (res *Result) Refs() []RuleRef {
	var out []RuleRef
	for i := range res.Cluster {
		out = append(out, RuleRef{"", i})
	}
	for _, ns := range res.namespaces() {
		for i := range res.Namespaces[ns] {
			out = append(out, RuleRef{ns, i})
		}
	}
	return out
}

// Rule returns the rule ref names.
func (res *Result) Rule(ref RuleRef) Rule {
	if ref.Namespace == "" {
		return res.Cluster[ref.Index]
	}
	return res.Namespaces[ref.Namespace][ref.Index]
}

// Without is a copy of res without one rule (for minimality tests).
func (res *Result) Without(ref RuleRef) *Result {
	c := *res
	c.Cluster = append([]Rule{}, res.Cluster...)
	c.Namespaces = map[string][]Rule{}
	for ns, rules := range res.Namespaces {
		c.Namespaces[ns] = append([]Rule{}, rules...)
	}
	if ref.Namespace == "" {
		c.Cluster = append(c.Cluster[:ref.Index:ref.Index], c.Cluster[ref.Index+1:]...)
	} else {
		rs := c.Namespaces[ref.Namespace]
		c.Namespaces[ref.Namespace] = append(rs[:ref.Index:ref.Index], rs[ref.Index+1:]...)
	}
	return &c
}

func (res *Result) namespaces() []string {
	out := make([]string, 0, len(res.Namespaces))
	for ns := range res.Namespaces {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// sortRules orders rules by group, resource, then unnamed before named, then verbs: a stable output.
func (res *Result) sortRules() {
	less := func(rules []Rule) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := rules[i], rules[j]
			ka := strings.Join(a.APIGroups, ",") + "|" + strings.Join(a.Resources, ",") + "|" + strings.Join(a.NonResourceURLs, ",")
			kb := strings.Join(b.APIGroups, ",") + "|" + strings.Join(b.Resources, ",") + "|" + strings.Join(b.NonResourceURLs, ",")
			if ka != kb {
				return ka < kb
			}
			if (len(a.ResourceNames) == 0) != (len(b.ResourceNames) == 0) {
				return len(a.ResourceNames) == 0
			}
			return strings.Join(a.Verbs, ",")+strings.Join(a.ResourceNames, ",") < strings.Join(b.Verbs, ",")+strings.Join(b.ResourceNames, ",")
		}
	}
	sort.SliceStable(res.Cluster, less(res.Cluster))
	for ns := range res.Namespaces {
		sort.SliceStable(res.Namespaces[ns], less(res.Namespaces[ns]))
	}
}

var verbRank = map[string]int{"get": 0, "list": 1, "watch": 2, "create": 3, "update": 4, "patch": 5, "delete": 6, "bind": 7, "escalate": 8}

func verbOrder(set map[string]bool) []string {
	out := sortedKeys(set)
	sort.SliceStable(out, func(i, j int) bool { return verbRank[out[i]] < verbRank[out[j]] })
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
