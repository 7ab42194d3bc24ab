package tests

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

// notesObjects parses the objects NOTES tell platform teams to provide: the YAML documents from the
// first "---" after "Provide exactly these objects" to "Check what".
func notesObjects(t *testing.T, notes string) []runtime.Object {
	t.Helper()
	i := strings.Index(notes, "Provide exactly these objects")
	j := strings.Index(notes, "\nCheck what")
	if i < 0 || j < i {
		t.Fatalf("NOTES print no objects to provide:\n%s", notes)
	}
	body := notes[i:j]
	k := strings.Index(body, "\n---")
	if k < 0 {
		t.Fatalf("NOTES print no YAML documents after \"Provide exactly these objects\":\n%s", notes)
	}
	body = body[k:]
	var objs []runtime.Object
	for _, doc := range strings.Split(body, "\n---\n") {
		var keep []string
		for _, l := range strings.Split(doc, "\n") {
			if !strings.HasPrefix(l, "(Replace REGISTRY-NAMESPACE") {
				keep = append(keep, l)
			}
		}
		doc = strings.TrimSpace(strings.Join(keep, "\n"))
		if doc == "" || doc == "---" {
			continue
		}
		o, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("NOTES object does not parse: %v\n%s", err, doc)
		}
		objs = append(objs, o)
	}
	return objs
}

// grant is what one printed binding gives: role kind/name and rules, in a namespace ("" cluster-wide),
// to one ServiceAccount.
type grant struct {
	Namespace, RoleKind, Role, Subject string
	Rules                              []rbacv1.PolicyRule
}

// grantsOf resolves every binding among objs to its role's rules (failing on a binding whose role is
// not among objs, or with other than one ServiceAccount subject).
func grantsOf(t *testing.T, objs []runtime.Object) []grant {
	t.Helper()
	rules := map[string][]rbacv1.PolicyRule{}
	for _, r := range chartrender.RolesOf(objs) {
		rules["Role/"+r.Namespace+"/"+r.Name] = r.Rules
	}
	for _, r := range chartrender.ClusterRolesOf(objs) {
		rules["ClusterRole//"+r.Name] = r.Rules
	}
	var out []grant
	add := func(ns string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		key := ref.Kind + "//" + ref.Name
		if ref.Kind == "Role" {
			key = "Role/" + ns + "/" + ref.Name
		}
		r, ok := rules[key]
		if !ok {
			t.Errorf("binding in %q refers to %s, which is not printed", ns, key)
		}
		if len(subjects) != 1 || subjects[0].Kind != "ServiceAccount" {
			t.Errorf("binding in %q: subjects %+v, want one ServiceAccount", ns, subjects)
			return
		}
		out = append(out, grant{ns, ref.Kind, ref.Name, subjects[0].Namespace + "/" + subjects[0].Name, r})
	}
	for _, b := range chartrender.RoleBindingsOf(objs) {
		add(b.Namespace, b.RoleRef, b.Subjects)
	}
	for _, b := range chartrender.ClusterRoleBindingsOf(objs) {
		add("", b.RoleRef, b.Subjects)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

func accounts(objs []runtime.Object) []string {
	var out []string
	for _, sa := range chartrender.ServiceAccountsOf(objs) {
		out = append(out, sa.Namespace+"/"+sa.Name)
	}
	sort.Strings(out)
	return out
}

// TestOperatorNotesPrintTheRegistryAPIRBAC: with rbac.disableWorkloadRBAC, in every combination, the
// objects NOTES tell platform teams to provide parse, and grant exactly registryAPI.rules to the account
// the operator runs registry pods as (REGISTRY_API_SERVICE_ACCOUNT), in the right namespaces; when the
// registry API is cluster-scoped they are the very objects the chart renders with workload RBAC on.
func TestOperatorNotesPrintTheRegistryAPIRBAC(t *testing.T) {
	rules := arr{
		obj{"why": "Notes rule.", "apiGroups": arr{"notes.example.com"}, "resources": arr{"things"}, "verbs": arr{"get", "list"}},
		obj{"apiGroups": arr{""}, "resources": arr{"secrets"}, "resourceNames": arr{"notes-token"}, "verbs": arr{"get"}},
	}
	want := policyRules(t, rules)
	for _, clusterScoped := range []bool{false, true} {
		for _, namespaceScoped := range []bool{false, true} {
			if clusterScoped && namespaceScoped {
				continue
			}
			for _, watch := range []arr{{}, {"team-a", "team-b"}} {
				for _, regName := range []string{"", "reg-sa"} {
					values := obj{
						"rbac":        obj{"disableWorkloadRBAC": true, "namespaceScoped": namespaceScoped, "watchNamespaces": watch},
						"registryAPI": obj{"clusterScoped": clusterScoped, "rules": rules, "serviceAccount": obj{"name": regName}},
					}
					res := render(t, "operator", "rel", values)
					regSA, _ := env(t, res.Objects, "REGISTRY_API_SERVICE_ACCOUNT")
					printed := notesObjects(t, res.Notes)
					grants := grantsOf(t, printed)

					var nss []string
					for _, ns := range watch {
						nss = append(nss, ns.(string))
					}
					if len(nss) == 0 && namespaceScoped {
						nss = []string{"ops"}
					}
					var wantGrants []grant
					var wantAccounts []string
					switch {
					case clusterScoped:
						wantAccounts = []string{"ops/" + regSA}
						role := "ops-rel-operator-registry-api"
						if len(nss) == 0 {
							wantGrants = append(wantGrants, grant{"", "ClusterRole", role, "ops/" + regSA, want})
						}
						for _, ns := range nss {
							wantGrants = append(wantGrants, grant{ns, "ClusterRole", role, "ops/" + regSA, want})
						}
					default:
						if len(nss) == 0 {
							nss = []string{"REGISTRY-NAMESPACE"}
						}
						for _, ns := range nss {
							wantAccounts = append(wantAccounts, ns+"/"+regSA)
							wantGrants = append(wantGrants, grant{ns, "Role", "rel-operator-registry-api", ns + "/" + regSA, want})
						}
					}
					if got := accounts(printed); !reflect.DeepEqual(got, wantAccounts) {
						t.Errorf("%v: NOTES ServiceAccounts %v, want %v", values, got, wantAccounts)
					}
					if !reflect.DeepEqual(grants, wantGrants) {
						t.Errorf("%v: NOTES grant\n%+v\nwant\n%+v", values, grants, wantGrants)
					}
					if len(printed) != len(wantAccounts)+len(wantGrants)+len(chartrender.RolesOf(printed))+len(chartrender.ClusterRolesOf(printed)) {
						t.Errorf("%v: NOTES print objects beyond accounts, roles and bindings", values)
					}
					if regName != "" && regSA != regName {
						t.Errorf("%v: REGISTRY_API_SERVICE_ACCOUNT %q, want %q", values, regSA, regName)
					}
					for _, b := range chartrender.RoleBindingsOf(res.Objects) {
						if b.Subjects[0].Name == regSA {
							t.Errorf("%v: the chart renders %s for the registry API although platform teams provide it", values, b.Name)
						}
					}
					if clusterScoped {
						on := merge(values, obj{"rbac": obj{"disableWorkloadRBAC": false}})
						rendered := grantsOf(t, render(t, "operator", "rel", on).Objects)
						var reg []grant
						for _, g := range rendered {
							if g.Subject == "ops/"+regSA {
								reg = append(reg, g)
							}
						}
						if !reflect.DeepEqual(reg, wantGrants) {
							t.Errorf("%v: the chart renders\n%+v\nfor the registry API with workload RBAC on, NOTES print\n%+v", values, reg, wantGrants)
						}
					}
				}
			}
		}
	}
}

// TestRegistryServerNotesPrintItsRBAC: with rbac.disableWorkloadRBAC, in every scope, NOTES print the
// exact Roles or ClusterRole and bindings the chart renders with it off: rbac.rules granted to the
// server's account in the release namespace, where it watches.
func TestRegistryServerNotesPrintItsRBAC(t *testing.T) {
	rules := arr{obj{"apiGroups": arr{""}, "resources": arr{"secrets"}, "resourceNames": arr{"srv-token"}, "verbs": arr{"get"}}}
	want := policyRules(t, rules)
	for _, namespaceScoped := range []bool{false, true} {
		for _, watch := range []arr{{}, {"team-a", "team-b"}} {
			for _, saName := range []string{"", "srv-sa"} {
				values := obj{
					"rbac":           obj{"disableWorkloadRBAC": true, "namespaceScoped": namespaceScoped, "watchNamespaces": watch, "rules": rules},
					"serviceAccount": obj{"name": saName},
				}
				res := render(t, "registry-server", "rel", values)
				sa := deploymentOf(t, res).Spec.Template.Spec.ServiceAccountName
				printed := notesObjects(t, res.Notes)
				grants := grantsOf(t, printed)
				if len(chartrender.RoleBindingsOf(res.Objects))+len(chartrender.ClusterRoleBindingsOf(res.Objects)) != 0 {
					t.Errorf("%v: the chart renders bindings although platform teams provide them", values)
				}
				if len(grants) == 0 {
					t.Fatalf("%v: NOTES grant nothing", values)
				}
				for _, g := range grants {
					if g.Subject != "ops/"+sa || !reflect.DeepEqual(g.Rules, want) {
						t.Errorf("%v: NOTES grant %+v, want rbac.rules to ops/%s", values, g, sa)
					}
				}
				on := merge(values, obj{"rbac": obj{"disableWorkloadRBAC": false}})
				if rendered := grantsOf(t, render(t, "registry-server", "rel", on).Objects); !reflect.DeepEqual(grants, rendered) {
					t.Errorf("%v: NOTES print\n%+v\nthe chart renders with workload RBAC on\n%+v", values, grants, rendered)
				}
				if len(accounts(printed)) != 0 {
					t.Errorf("%v: NOTES print ServiceAccounts %v, which the chart renders itself", values, accounts(printed))
				}
			}
		}
	}
}
