package main

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// installer-rbac prints ready-to-apply, commented YAML for the named account over the whole matrix,
// and refuses bad input with the fix.
func TestInstallerRBACCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "installer-rbac", "../../tests/fixtures/installer-app", "-n", "apps", "--axis", "watch=\"\",team-a", "--service-account", "ops/deployer")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"# Installer RBAC for ServiceAccount ops/deployer", "over 2 rendered combinations",
		"kind: Role\nmetadata:\n  name: \"deployer-installer\"\n  namespace: \"team-a\"",
		"# needed by: Role/team-a/rel-app\n  # escalation prevention: the installer must hold every rule it grants\n  - apiGroups: [\"\"]\n    resources: [\"pods\"]",
		"resourceNames: [\"rel-app\"]",
		"# NOT PINNED: revision N of sh.helm.release.v1.<release>.v<N> grows",
	} {
		if !strings.Contains(out, strings.ReplaceAll(want, "rel-app", "release-app")) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, doc := range strings.Split(out, "\n---\n")[1:] {
		var m map[string]interface{}
		if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil || m["kind"] == nil {
			t.Errorf("document does not decode (%v):\n%s", err, doc)
		}
	}
	if !strings.Contains(errOut, "rules over 2 combinations, derived and proved in") {
		t.Errorf("stderr: %s", errOut)
	}
	for args, want := range map[string]string{
		"--service-account ops":                               `--service-account "ops": give the installing account as NAMESPACE/NAME`,
		"--service-account a/b --grant-mode everything":       `--grant-mode "everything": use escalate or bind`,
		"--service-account a/b --resource Widget":             `--resource "Widget": want Kind.group=plural`,
		"--service-account a/b --namespace apps --set watch=": "",
	} {
		code, _, errOut := runCLI(t, append([]string{"installer-rbac", "../../tests/fixtures/installer-app"}, strings.Fields(args)...)...)
		if want == "" {
			if code != 0 {
				t.Errorf("%s: exit %d: %s", args, code, errOut)
			}
			continue
		}
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, want an error containing %q, got %s", args, code, want, errOut)
		}
	}
}
