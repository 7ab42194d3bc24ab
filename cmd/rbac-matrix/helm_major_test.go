package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --helm selects the Helm major on every command that renders; Helm v4 is the default.
func TestHelmFlagSelectsTheMajor(t *testing.T) {
	const v4Funcs, apiV3 = "../../tests/fixtures/helm-v4-functions", "../../tests/fixtures/chart-apiversion-v3"
	for _, tc := range []struct {
		args     []string
		code     int
		want     string // in stdout, or stderr for exit 2 and 3
		wantNone string
	}{
		// a chart using mustToYaml: fine with v4 (the default), with v3 the finding names Helm v4 and --helm v4
		{[]string{"check", v4Funcs, "--set", "tokenTTL=1h"}, 0, "1 passed", ""},
		{[]string{"check", v4Funcs, "--set", "tokenTTL=1h", "--helm", "v4"}, 0, "1 passed", ""},
		{[]string{"check", v4Funcs, "--set", "tokenTTL=1h", "--helm", "v3"}, 1, "mustToYaml is a Helm v4 template function", "fix: the message names the value"},
		{[]string{"who-can", v4Funcs, "--helm", "v3"}, 3, "render with Helm v4 (--helm v4", ""},
		{[]string{"can-i", v4Funcs, "--as", "default/release-app", "get", "configmaps"}, 1, "no", ""},
		{[]string{"diff", v4Funcs, "--a-set", "tokenTTL=1m", "--b-set", "tokenTTL=2m", "--helm", "v3"}, 3, "mustToYaml is a Helm v4 template function", ""},
		{[]string{"discover", v4Funcs}, 0, "0 of 0 candidate axes kept", ""},
		{[]string{"discover", v4Funcs, "--helm", "v3"}, 3, "the chart does not render with Helm v3: parse error", "--set the values"},
		// a Chart.yaml with apiVersion v3: Helm v4 refuses it as helm template does, Helm v3 renders it
		{[]string{"who-can", apiV3}, 3, `Chart.yaml: apiVersion "v3" is not a chart Helm v4.3.1 templates`, ""},
		{[]string{"who-can", apiV3, "--helm", "v3"}, 0, "SUBJECT", ""},
		{[]string{"installer-rbac", apiV3, "-n", "apps", "--service-account", "ci/deployer"}, 3, "set `apiVersion: v2` in Chart.yaml", ""},
		// a bad value is a usage error naming the flag and the accepted values
		{[]string{"check", v4Funcs, "--helm", "3"}, 2, `--helm "3": the accepted values are v3 and v4`, ""},
		{[]string{"who-can", v4Funcs, "--helm", "v5"}, 2, `--helm "v5": the accepted values are v3 and v4`, ""},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		got := out
		if tc.code >= 2 {
			got = errOut
		}
		if code != tc.code || !strings.Contains(got, tc.want) || (tc.wantNone != "" && strings.Contains(out+errOut, tc.wantNone)) {
			t.Errorf("%v: exit %d (want %d), want %q\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, tc.want, out, errOut)
		}
	}
}

// The spec's helm field selects the major; --helm overrides it; a bad value names the field.
func TestSpecHelmField(t *testing.T) {
	dir := t.TempDir()
	chart, _ := filepath.Abs("../../tests/fixtures/helm-v4-functions")
	write := func(helm string) string {
		p := filepath.Join(dir, "spec-"+helm+".yaml")
		if err := os.WriteFile(p, []byte("chart: "+chart+"\nhelm: "+helm+"\nrelease: {name: rel, namespace: apps}\naxes:\n  - path: tokenTTL\n    values: [1m]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, out, errOut := runCLI(t, "check", "--spec", write("v3")); code != 1 || !strings.Contains(out, "mustToYaml is a Helm v4 template function") {
		t.Errorf("helm: v3: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "check", "--spec", write("v3"), "--helm", "v4"); code != 0 {
		t.Errorf("helm: v3 with --helm v4: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "check", "--spec", write("v2")); code < 2 || !strings.Contains(errOut, `helm "v2": the accepted values are v3 and v4`) {
		t.Errorf("helm: v2: exit %d %s", code, errOut)
	}
}
