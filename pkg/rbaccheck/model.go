package rbaccheck

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// ServiceAccountRef names a ServiceAccount.
type ServiceAccountRef struct {
	Namespace, Name string
}

func (s ServiceAccountRef) String() string { return s.Namespace + "/" + s.Name }

// Pod is a pod template with the workload object that holds it.
type Pod struct {
	chartrender.PodTemplate
	Object runtime.Object
	Name   string // Describe(Object), e.g. "Deployment ops/operator"
}

// Account is the ServiceAccount the pod runs as ("default" when the template names none).
func (p Pod) Account() ServiceAccountRef {
	name := p.Spec.ServiceAccountName
	if name == "" {
		name = "default"
	}
	return ServiceAccountRef{p.Namespace, name}
}

func (p Pod) containers() []corev1.Container {
	return append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
}

// Subject is who a request is made as: a ServiceAccount, a User or a Group.
type Subject struct {
	Kind, Namespace, Name string
}

// AsSubject returns the ServiceAccount as a Subject.
func (s ServiceAccountRef) AsSubject() Subject {
	return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: s.Namespace, Name: s.Name}
}

// ModelOptions tell the model what exists beyond the rendered objects.
type ModelOptions struct {
	// BuiltinClusterRoles are ClusterRoles the cluster provides, by name; a roleRef to one is not an
	// orphan. A nil rule list means "exists, rules unknown" (grants nothing offline). Nil map: the
	// defaults (cluster-admin with every permission; admin, edit, view and the usual system roles).
	BuiltinClusterRoles map[string][]rbacv1.PolicyRule
	// ExternalServiceAccounts are accounts provided outside the chart; binding them is not an orphan.
	ExternalServiceAccounts []ServiceAccountRef
	// RuntimeGrants are declared in code rather than by ConfigMaps in the objects.
	RuntimeGrants []RuntimeGrant
	// Suppress maps check IDs to the reason they do not apply; suppressed violations are dropped.
	Suppress map[string]string
	// Severity overrides the default severity of checks, by ID.
	Severity map[string]Severity
	// BuiltinRoles are namespaced Roles the cluster provides, by "namespace/name" (nil rules: exists,
	// rules unknown). Nil map: DefaultBuiltinRoles.
	BuiltinRoles map[string][]rbacv1.PolicyRule
	// ExternalRoles are Roles and ClusterRoles provided outside the chart (by a platform team or
	// another chart): a binding to one is not an orphan. Their rules are unknown offline.
	ExternalRoles []RoleRef
	// AggregationSelectors select ClusterRoles aggregated by a role outside the chart (beyond the
	// built-in rbac.authorization.k8s.io/aggregate-to-* labels): such a ClusterRole is not unbound.
	AggregationSelectors []metav1.LabelSelector
	// Templates are the chart's template sources by path (e.g. "app/templates/_validate.tpl"), for the
	// TemplateChecks; nil for checks of a rendering.
	Templates map[string]string
	// WatchDeclarations say where programs read the namespaces they watch, beyond the heuristics.
	WatchDeclarations []WatchDeclaration
}

// RoleRef names a Role ("Role", namespace, name) or a ClusterRole ("ClusterRole", "", name).
type RoleRef struct {
	Kind, Namespace, Name string
}

// ParseRoleRef reads "Role/NAMESPACE/NAME" or "ClusterRole/NAME".
func ParseRoleRef(s string) (RoleRef, error) {
	parts := strings.Split(s, "/")
	switch {
	case len(parts) == 3 && parts[0] == "Role" && parts[1] != "" && parts[2] != "":
		return RoleRef{"Role", parts[1], parts[2]}, nil
	case len(parts) == 2 && parts[0] == "ClusterRole" && parts[1] != "":
		return RoleRef{"ClusterRole", "", parts[1]}, nil
	}
	return RoleRef{}, fmt.Errorf("external role %q: want Role/NAMESPACE/NAME or ClusterRole/NAME", s)
}

// ParseServiceAccountRef reads "NAMESPACE/NAME".
func ParseServiceAccountRef(s string) (ServiceAccountRef, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return ServiceAccountRef{}, fmt.Errorf("external ServiceAccount %q: want NAMESPACE/NAME", s)
	}
	return ServiceAccountRef{ns, name}, nil
}

// DefaultBuiltinRoles are the namespaced Roles kube-apiserver creates (its bootstrap policy).
func DefaultBuiltinRoles() map[string][]rbacv1.PolicyRule {
	return map[string][]rbacv1.PolicyRule{
		"kube-system/extension-apiserver-authentication-reader": {{APIGroups: []string{""}, Resources: []string{"configmaps"},
			ResourceNames: []string{"extension-apiserver-authentication"}, Verbs: []string{"get", "list", "watch"}}},
		"kube-system/system::leader-locking-kube-controller-manager": nil,
		"kube-system/system::leader-locking-kube-scheduler":          nil,
		"kube-system/system:controller:bootstrap-signer":             nil,
		"kube-system/system:controller:cloud-provider":               nil,
		"kube-system/system:controller:token-cleaner":                nil,
		"kube-public/system:controller:bootstrap-signer":             nil,
	}
}

// DefaultBuiltinClusterRoles are the ClusterRoles every cluster has.
func DefaultBuiltinClusterRoles() map[string][]rbacv1.PolicyRule {
	return map[string][]rbacv1.PolicyRule{
		"cluster-admin": {
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		},
		"admin": nil, "edit": nil, "view": nil,
		"system:auth-delegator": nil, "system:discovery": nil, "system:basic-user": nil,
		"system:public-info-viewer": nil, "system:heapster": nil,
	}
}

var (
	sharedBuiltinClusterRoles = sync.OnceValue(DefaultBuiltinClusterRoles)
	sharedBuiltinRoles        = sync.OnceValue(DefaultBuiltinRoles)
)

// Model indexes one rendering's RBAC for queries and checks. It is read-only once NewModel returns:
// the checks derive indexes from it once and reuse them.
type Model struct {
	Objects             []runtime.Object
	Options             ModelOptions
	Roles               map[string]*rbacv1.Role // "namespace/name"
	ClusterRoles        map[string]*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	ServiceAccounts     map[ServiceAccountRef]*corev1.ServiceAccount
	PodTemplates        []chartrender.PodTemplate
	// Pods are the pod templates with the workload that holds each (the same list as PodTemplates).
	Pods          []Pod
	RuntimeGrants []RuntimeGrant
	// ParseErrors are problems reading runtime-grant ConfigMaps; reported by the runtime-coverage check.
	ParseErrors  []string
	clusterRules map[string][]rbacv1.PolicyRule // ClusterRole name → rules incl. aggregation
	idx          index                          // derived once, on first use (index.go)
}

// NewModel indexes objs. Namespaced objects must already carry their namespace (pkg/chartrender does this).
func NewModel(objs []runtime.Object, opts ModelOptions) *Model {
	// The defaults are built once and shared by every model, which only reads them.
	if opts.BuiltinClusterRoles == nil {
		opts.BuiltinClusterRoles = sharedBuiltinClusterRoles()
	}
	if opts.BuiltinRoles == nil {
		opts.BuiltinRoles = sharedBuiltinRoles()
	}
	m := &Model{Objects: objs, Options: opts, Roles: map[string]*rbacv1.Role{}, ClusterRoles: map[string]*rbacv1.ClusterRole{},
		ServiceAccounts: map[ServiceAccountRef]*corev1.ServiceAccount{}, clusterRules: map[string][]rbacv1.PolicyRule{}}
	for _, o := range objs {
		switch x := o.(type) {
		case *rbacv1.Role:
			m.Roles[x.Namespace+"/"+x.Name] = x
		case *rbacv1.ClusterRole:
			m.ClusterRoles[x.Name] = x
		case *rbacv1.RoleBinding:
			m.RoleBindings = append(m.RoleBindings, x)
		case *rbacv1.ClusterRoleBinding:
			m.ClusterRoleBindings = append(m.ClusterRoleBindings, x)
		case *corev1.ServiceAccount:
			m.ServiceAccounts[ServiceAccountRef{x.Namespace, x.Name}] = x
		}
	}
	for _, o := range objs {
		for _, pt := range chartrender.PodTemplatesOf([]runtime.Object{o}) {
			m.PodTemplates = append(m.PodTemplates, pt) // = chartrender.PodTemplatesOf(objs), in one pass
			m.Pods = append(m.Pods, Pod{PodTemplate: pt, Object: o, Name: Describe(o)})
		}
	}
	for name, cr := range m.ClusterRoles {
		m.clusterRules[name] = m.aggregate(cr)
	}
	grants, errs := RuntimeGrantsFromObjectsWithErrors(objs)
	m.RuntimeGrants = append(grants, opts.RuntimeGrants...)
	m.ParseErrors = errs
	return m
}

// aggregate returns a ClusterRole's rules plus, when it has an aggregationRule, the rules of every
// rendered ClusterRole whose labels match one of its selectors (as the aggregation controller does).
func (m *Model) aggregate(cr *rbacv1.ClusterRole) []rbacv1.PolicyRule {
	if cr.AggregationRule == nil {
		return cr.Rules // read only, as the model is
	}
	rules := append([]rbacv1.PolicyRule{}, cr.Rules...)
	names := make([]string, 0, len(m.ClusterRoles))
	for n := range m.ClusterRoles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		other := m.ClusterRoles[n]
		if n == cr.Name {
			continue
		}
		for _, sel := range cr.AggregationRule.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&sel)
			if err == nil && s.Matches(labels.Set(other.Labels)) {
				rules = append(rules, other.Rules...)
				break
			}
		}
	}
	return rules
}

// roleRules resolves a roleRef seen from namespace ns; ok is false when the role is neither rendered
// nor a declared built-in.
func (m *Model) roleRules(ref rbacv1.RoleRef, ns string) (rules []rbacv1.PolicyRule, ok bool) {
	switch ref.Kind {
	case "Role":
		if r, found := m.Roles[ns+"/"+ref.Name]; found {
			return r.Rules, true
		}
		if r, found := m.Options.BuiltinRoles[ns+"/"+ref.Name]; found {
			return r, true
		}
	case "ClusterRole":
		if r, found := m.clusterRules[ref.Name]; found {
			return r, true
		}
		if r, found := m.Options.BuiltinClusterRoles[ref.Name]; found {
			return r, true
		}
		ns = ""
	default:
		return nil, false
	}
	for _, e := range m.Options.ExternalRoles {
		if e == (RoleRef{ref.Kind, ns, ref.Name}) {
			return nil, true
		}
	}
	return nil, false
}

// SubjectMatches reports whether a binding subject covers who, including the groups every
// ServiceAccount belongs to (system:serviceaccounts, system:serviceaccounts:<ns>, system:authenticated).
func SubjectMatches(s rbacv1.Subject, bindingNS string, who Subject) bool {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return who.Kind == rbacv1.ServiceAccountKind && who.Name == s.Name && who.Namespace == ns
	case rbacv1.UserKind:
		if who.Kind == rbacv1.ServiceAccountKind {
			return s.Name == "system:serviceaccount:"+who.Namespace+":"+who.Name
		}
		return who.Kind == rbacv1.UserKind && who.Name == s.Name
	case rbacv1.GroupKind:
		if who.Kind == rbacv1.ServiceAccountKind {
			return s.Name == "system:serviceaccounts" || s.Name == "system:serviceaccounts:"+who.Namespace || s.Name == "system:authenticated"
		}
		return who.Kind == rbacv1.GroupKind && who.Name == s.Name
	}
	return false
}

// RulesFor returns the rules that apply to who in namespace ns: its cluster-wide grants, plus, when ns
// is not "", the grants of RoleBindings in ns. With ns "" only cluster-wide grants count.
func (m *Model) RulesFor(who Subject, ns string) []rbacv1.PolicyRule {
	var buf [8][]rbacv1.PolicyRule // the role rules that apply, gathered first to allocate once
	parts, n := buf[:0], 0
	for _, b := range m.ClusterRoleBindings {
		if m.bindsSubject(b.Subjects, "", who) {
			r, _ := m.roleRules(b.RoleRef, "")
			parts, n = append(parts, r), n+len(r)
		}
	}
	if ns != "" {
		for _, b := range m.RoleBindings {
			if b.Namespace == ns && m.bindsSubject(b.Subjects, b.Namespace, who) {
				r, _ := m.roleRules(b.RoleRef, ns)
				parts, n = append(parts, r), n+len(r)
			}
		}
	}
	if n == 0 {
		return nil
	}
	rules := make([]rbacv1.PolicyRule, 0, n)
	for _, r := range parts {
		rules = append(rules, r...)
	}
	return rules
}

func (m *Model) bindsSubject(subjects []rbacv1.Subject, ns string, who Subject) bool {
	for _, s := range subjects {
		if SubjectMatches(s, ns, who) {
			return true
		}
	}
	return false
}

// CanI answers a request for who offline, like `kubectl auth can-i --as`. The reason names the
// binding that grants it.
func (m *Model) CanI(who Subject, r Request) (bool, string) {
	for _, b := range m.ClusterRoleBindings {
		if m.bindsSubject(b.Subjects, "", who) {
			if rules, _ := m.roleRules(b.RoleRef, ""); RulesAllow(rules, r) {
				return true, fmt.Sprintf("ClusterRoleBinding %s grants ClusterRole %s", b.Name, b.RoleRef.Name)
			}
		}
	}
	if r.Namespace != "" {
		for _, b := range m.RoleBindings {
			if b.Namespace == r.Namespace && m.bindsSubject(b.Subjects, b.Namespace, who) {
				if rules, _ := m.roleRules(b.RoleRef, b.Namespace); RulesAllow(rules, r) {
					return true, fmt.Sprintf("RoleBinding %s/%s grants %s %s", b.Namespace, b.Name, b.RoleRef.Kind, b.RoleRef.Name)
				}
			}
		}
	}
	return false, "no binding grants it"
}

// ParseRequest builds a Request from `kubectl auth can-i` words: a verb, RESOURCE[.GROUP][/SUBRESOURCE]
// (or a /non-resource/url) and a namespace ("" = cluster-wide).
func ParseRequest(verb, resource, namespace string) Request {
	r := Request{Verb: verb, Namespace: namespace}
	if strings.HasPrefix(resource, "/") {
		r.NonResourceURL = resource
		return r
	}
	res, sub, _ := strings.Cut(resource, "/")
	name, group, qualified := strings.Cut(res, ".")
	if !qualified {
		group = builtinGroups[name] // as kubectl resolves "roles" through discovery
	}
	r.Resource, r.APIGroup, r.Subresource = name, group, sub
	return r
}

// builtinGroups maps built-in resources outside the core group to their API group, so an unqualified
// resource name resolves offline the way kubectl resolves it against a cluster.
var builtinGroups = map[string]string{
	"deployments": "apps", "statefulsets": "apps", "daemonsets": "apps", "replicasets": "apps", "controllerrevisions": "apps",
	"jobs": "batch", "cronjobs": "batch",
	"roles": rbacv1.GroupName, "rolebindings": rbacv1.GroupName, "clusterroles": rbacv1.GroupName, "clusterrolebindings": rbacv1.GroupName,
	"leases": "coordination.k8s.io", "ingresses": "networking.k8s.io", "networkpolicies": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
	"customresourcedefinitions": "apiextensions.k8s.io", "storageclasses": "storage.k8s.io", "csidrivers": "storage.k8s.io",
	"validatingwebhookconfigurations": "admissionregistration.k8s.io", "mutatingwebhookconfigurations": "admissionregistration.k8s.io",
	"certificatesigningrequests": "certificates.k8s.io", "horizontalpodautoscalers": "autoscaling", "poddisruptionbudgets": "policy",
	"priorityclasses": "scheduling.k8s.io", "endpointslices": "discovery.k8s.io", "tokenreviews": "authentication.k8s.io",
	"subjectaccessreviews": "authorization.k8s.io", "selfsubjectaccessreviews": "authorization.k8s.io",
}
