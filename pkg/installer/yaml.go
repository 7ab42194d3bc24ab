package installer

import (
	"encoding/json"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// maxNeeds is how many needing objects a rule's comment lists before summing up the rest.
const maxNeeds = 8

// Names of the derived objects: NAME-installer for the Roles and RoleBindings, NAMESPACE-NAME-installer
// for the ClusterRole and ClusterRoleBinding.
func (res *Result) roleName() string { return res.ServiceAccount.Name + "-installer" }
func (res *Result) clusterRoleName() string {
	return res.ServiceAccount.Namespace + "-" + res.ServiceAccount.Name + "-installer"
}

// Objects are the derived RBAC objects, ready to create: the ClusterRole and ClusterRoleBinding (when
// anything is cluster-scoped), then a Role and RoleBinding per namespace, in namespace order.
func (res *Result) Objects() []runtime.Object {
	var out []runtime.Object
	subj := []rbacv1.Subject{{Kind: "ServiceAccount", Name: res.ServiceAccount.Name, Namespace: res.ServiceAccount.Namespace}}
	tm := func(kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind}
	}
	if len(res.Cluster) > 0 {
		out = append(out,
			&rbacv1.ClusterRole{TypeMeta: tm("ClusterRole"), ObjectMeta: metav1.ObjectMeta{Name: res.clusterRoleName()}, Rules: policyRules(res.Cluster)},
			&rbacv1.ClusterRoleBinding{TypeMeta: tm("ClusterRoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: res.clusterRoleName()}, Subjects: subj,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: res.clusterRoleName()}})
	}
	for _, ns := range res.namespaces() {
		if len(res.Namespaces[ns]) == 0 {
			continue
		}
		out = append(out,
			&rbacv1.Role{TypeMeta: tm("Role"), ObjectMeta: metav1.ObjectMeta{Name: res.roleName(), Namespace: ns}, Rules: policyRules(res.Namespaces[ns])},
			&rbacv1.RoleBinding{TypeMeta: tm("RoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: res.roleName(), Namespace: ns}, Subjects: subj,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: res.roleName()}})
	}
	return out
}

func policyRules(rules []Rule) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(rules))
	for i, r := range rules {
		out[i] = r.PolicyRule
	}
	return out
}

// YAML renders the objects as ready-to-apply YAML, each rule with a comment naming what needs it.
func (res *Result) YAML() string {
	var b strings.Builder
	sa := res.ServiceAccount.String()
	fmt.Fprintf(&b, "# Installer RBAC for ServiceAccount %s to helm install, upgrade (between any two combinations),\n", sa)
	fmt.Fprintf(&b, "# rollback and uninstall chart %s: derived by rbac-matrix installer-rbac over %d rendered combinations", res.Chart, res.Combinations)
	if res.Rejected > 0 {
		fmt.Fprintf(&b, "\n# (%d more are rejected by the chart as the spec requires)", res.Rejected)
	}
	b.WriteString(".\n# create, list and watch cannot be limited by resourceNames; get, update, patch and delete are pinned to\n")
	b.WriteString("# the rendered names, except Helm's release Secrets (see the rule).\n")
	if res.GrantMode == GrantBind {
		b.WriteString("# Grant mode bind: instead of holding every rule the chart's roles grant, the installer has bind and\n" +
			"# escalate on those roles, by name. Trade-off: it holds fewer permissions itself, but it may write any\n" +
			"# rule into those roles and bind them to any subject, so it can reach any permission through them.\n")
	} else {
		b.WriteString("# Grant mode escalate (default): Kubernetes lets an account grant only what it holds, so the installer\n" +
			"# holds every rule the chart's roles grant. Trade-off: it can use those permissions itself; the\n" +
			"# alternative --grant-mode bind holds fewer but may put any rule into the chart's roles.\n")
	}
	for _, o := range res.Objects() {
		b.WriteString("---\n")
		switch x := o.(type) {
		case *rbacv1.ClusterRole:
			header(&b, "ClusterRole", x.Name, "")
			writeRules(&b, res.Cluster)
		case *rbacv1.Role:
			header(&b, "Role", x.Name, x.Namespace)
			writeRules(&b, res.Namespaces[x.Namespace])
		case *rbacv1.ClusterRoleBinding:
			header(&b, "ClusterRoleBinding", x.Name, "")
			writeBinding(&b, res, "ClusterRole", x.RoleRef.Name)
		case *rbacv1.RoleBinding:
			header(&b, "RoleBinding", x.Name, x.Namespace)
			writeBinding(&b, res, "Role", x.RoleRef.Name)
		}
	}
	return b.String()
}

func header(b *strings.Builder, kind, name, ns string) {
	fmt.Fprintf(b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n  name: %s\n", kind, q(name))
	if ns != "" {
		fmt.Fprintf(b, "  namespace: %s\n", q(ns))
	}
}

func writeBinding(b *strings.Builder, res *Result, kind, name string) {
	fmt.Fprintf(b, "subjects:\n  - kind: ServiceAccount\n    name: %s\n    namespace: %s\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\n",
		q(res.ServiceAccount.Name), q(res.ServiceAccount.Namespace), kind, q(name))
}

func writeRules(b *strings.Builder, rules []Rule) {
	b.WriteString("rules:\n")
	for _, r := range rules {
		needs := r.Needs
		more := ""
		if len(needs) > maxNeeds {
			more = fmt.Sprintf(" and %d more", len(needs)-maxNeeds)
			needs = needs[:maxNeeds]
		}
		fmt.Fprintf(b, "  # needed by: %s%s\n", oneLine(strings.Join(needs, ", ")), more)
		if r.Note != "" {
			fmt.Fprintf(b, "  # %s\n", oneLine(r.Note))
		}
		first := "  - "
		field := func(name string, vals []string) {
			if len(vals) == 0 {
				return
			}
			fmt.Fprintf(b, "%s%s: %s\n", first, name, jsonList(vals))
			first = "    "
		}
		field("apiGroups", r.APIGroups)
		field("resources", r.Resources)
		field("nonResourceURLs", r.NonResourceURLs)
		field("resourceNames", r.ResourceNames)
		field("verbs", r.Verbs)
	}
}

// oneLine keeps a comment on one line whatever an object name contains.
func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

func jsonList(v []string) string {
	out, _ := json.Marshal(v)
	return string(out)
}

func q(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}
