package rbaccheck

import (
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// index holds what several checks derive from a model's objects: built once per model, on first use,
// so the checks of one combination share it instead of rebuilding it per check (or per pod). A model
// is read-only after NewModel; the index assumes it.
type index struct {
	once     sync.Once
	bindings []binding
	// ruleSets are the Roles, then the ClusterRoles (role set), then the runtime grants.
	ruleSets []ruleSet
}

func (m *Model) indexed() *index {
	m.idx.once.Do(func() {
		x := &m.idx
		x.bindings = make([]binding, 0, len(m.ClusterRoleBindings)+len(m.RoleBindings))
		for _, b := range m.ClusterRoleBindings {
			x.bindings = append(x.bindings, binding{b, "", b.RoleRef, b.Subjects})
		}
		for _, b := range m.RoleBindings {
			x.bindings = append(x.bindings, binding{b, b.Namespace, b.RoleRef, b.Subjects})
		}
		x.ruleSets = make([]ruleSet, 0, len(m.Roles)+len(m.ClusterRoles)+len(m.RuntimeGrants))
		for _, r := range m.Roles {
			x.ruleSets = append(x.ruleSets, newRuleSet(describe(r), r.Rules, inRole))
		}
		for _, r := range m.ClusterRoles {
			x.ruleSets = append(x.ruleSets, newRuleSet(describe(r), r.Rules, inClusterRole))
		}
		for _, g := range m.RuntimeGrants {
			x.ruleSets = append(x.ruleSets, newRuleSet(g.Source, g.Rules, inRuntimeGrant))
		}
	})
	return &m.idx
}

// newRuleSet names rules and derives, once, the forms the risky checks read: without the wildcard
// rules (the wildcard check reports those), and that without resourceNames.
func newRuleSet(name string, rules []rbacv1.PolicyRule, from ruleSource) ruleSet {
	plain := withoutWildcards(rules)
	return ruleSet{name: name, rules: rules, from: from, plain: plain, plainUnnamed: withoutNames(plain)}
}
