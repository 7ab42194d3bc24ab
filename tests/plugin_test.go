package tests

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// pinnedHelmCLI finds a pinned helm CLI: $envVar, else ~/.cache/workload-rbac/tools/name (`make tools`). A
// missing CLI fails the test, unless WORKLOAD_RBAC_NO_TOOLS=1 says the tools are not installed, where
// it skips with the reason.
func pinnedHelmCLI(t *testing.T, name, envVar string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	p := filepath.Join(home, ".cache", "workload-rbac", "tools", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if os.Getenv("WORKLOAD_RBAC_NO_TOOLS") == "1" {
		t.Skipf("SKIP: no %s CLI at %s and WORKLOAD_RBAC_NO_TOOLS=1", name, p)
	}
	t.Fatalf("no %s CLI at %s: run `make tools`, or point %s at one (WORKLOAD_RBAC_NO_TOOLS=1 skips this test)", name, p, envVar)
	return ""
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// rbacMatrixBinary builds cmd/rbac-matrix once per test run, into a directory of the temp dir named
// after this checkout (kept between runs, so an unchanged build is not linked again).
func rbacMatrixBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		root, _ := filepath.Abs("..")
		h := fnv.New32a()
		h.Write([]byte(root))
		binaryPath = filepath.Join(os.TempDir(), fmt.Sprintf("workload-rbac-%x", h.Sum32()), "rbac-matrix")
		build := exec.Command("go", "build", "-o", binaryPath, "./cmd/rbac-matrix")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build ./cmd/rbac-matrix: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// result is one command's stdout and exit code.
type result struct {
	stdout string
	code   int
}

// runIn runs bin with args in dir with env, and returns stdout, exit code and the combined transcript.
func runIn(t *testing.T, dir string, env []string, bin string, args ...string) (result, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	transcript := fmt.Sprintf("$ %s %s\n%s%s[exit %d]\n", filepath.Base(bin), strings.Join(args, " "), out.String(), errb.String(), code)
	return result{out.String(), code}, transcript
}

// isolatedHelmEnv is the environment without any HELM_* or KUBECONFIG of the caller, with helm's
// data, config and cache homes in temporary directories, HELM_PLUGINS in the data home, and a
// kubeconfig that does not exist (so helm's default namespace is "default"). HELM_PLUGINS stays in the
// data home because Helm v4.3.1 installs a plugin from a local path there whatever HELM_PLUGINS says,
// and then loads plugins from HELM_PLUGINS
// (internal/plugin/installer/local_installer.go, LocalInstaller.Path uses helmpath.DataPath).
func isolatedHelmEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			env = append(env, kv)
		}
	}
	dir := t.TempDir()
	for _, v := range []string{"HELM_DATA_HOME", "HELM_CONFIG_HOME", "HELM_CACHE_HOME"} {
		env = append(env, v+"="+filepath.Join(dir, strings.ToLower(strings.TrimPrefix(v, "HELM_"))))
	}
	plugins := filepath.Join(dir, "data_home", "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(env, "HELM_PLUGINS="+plugins)
	return append(env, "KUBECONFIG="+filepath.Join(dir, "no-kubeconfig"))
}

// TestHelmPluginInstallsAndRunsAsTheBinary installs the checkout as a plugin with the Helm v3 and the
// Helm v4 CLI (each into its own temporary HELM_PLUGINS) and runs subcommands through `helm
// rbac-matrix`: stdout and exit code must be the binary's, findings exit 1 through helm too, and
// helm's -n reaches the subcommand as its -n.
func TestHelmPluginInstallsAndRunsAsTheBinary(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	direct := rbacMatrixBinary(t)
	cases := []struct {
		name       string
		args       []string // the binary's
		helmArgs   []string // after `helm rbac-matrix`, when not args
		wantCode   int
		wantOutput string
	}{
		{name: "version", args: []string{"version"}, wantOutput: "helm SDK v"},
		{name: "a clean chart", args: []string{"check", "charts/operator", "--set", "rbac.namespaceScoped=true", "-o", "json"}, wantOutput: `"failed": 0`},
		{name: "a finding exits 1", args: []string{"check", "tests/fixtures/static-orphan", "-o", "json"}, wantCode: 1, wantOutput: "unused-serviceaccount"},
		{name: "helm's -n is the release namespace of check",
			args:     []string{"check", "-n", "team-x", "charts/operator", "--set", "rbac.namespaceScoped=true", "-o", "json"},
			helmArgs: []string{"check", "charts/operator", "--set", "rbac.namespaceScoped=true", "-o", "json", "-n", "team-x"}, wantOutput: "Role team-x/release-operator"},
		{name: "helm's -n is who-can's request namespace",
			args:     []string{"who-can", "-n", "team-a", "charts/operator", "--set", "rbac.watchNamespaces={team-a}"},
			helmArgs: []string{"who-can", "charts/operator", "--set", "rbac.watchNamespaces={team-a}", "--namespace", "team-a"}, wantOutput: "team-a"},
		{name: "a usage error exits 2", args: []string{"no-such-command"}, wantCode: 2},
	}
	var transcript strings.Builder
	for _, major := range []struct{ name, bin, env string }{{"v3", "helm", "HELM3_BIN"}, {"v4", "helm4", "HELM4_BIN"}} {
		t.Run("helm "+major.name, func(t *testing.T) {
			helm := pinnedHelmCLI(t, major.bin, major.env)
			env := isolatedHelmEnv(t)
			_, tr := runIn(t, root, env, helm, "version", "--short")
			transcript.WriteString(tr)
			res, tr := runIn(t, root, env, helm, "plugin", "install", root)
			transcript.WriteString(tr)
			if res.code != 0 || !strings.Contains(res.stdout, "Installed plugin: rbac-matrix") {
				t.Fatalf("helm plugin install %s failed:\n%s", root, tr)
			}
			res, tr = runIn(t, root, env, helm, "plugin", "list")
			transcript.WriteString(tr)
			if !regexp.MustCompile(`(?m)^rbac-matrix\s+0\.1\.0\s`).MatchString(res.stdout) {
				t.Errorf("helm plugin list does not list rbac-matrix 0.1.0:\n%s", res.stdout)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					want, _ := runIn(t, root, env, direct, c.args...)
					helmArgs := c.helmArgs
					if helmArgs == nil {
						helmArgs = c.args
					}
					got, tr := runIn(t, root, env, helm, append([]string{"rbac-matrix"}, helmArgs...)...)
					transcript.WriteString(tr)
					if want.code != c.wantCode || !strings.Contains(want.stdout, c.wantOutput) {
						t.Fatalf("the binary itself: exit %d, want %d, with %q in:\n%s", want.code, c.wantCode, c.wantOutput, want.stdout)
					}
					if got != want {
						t.Errorf("helm rbac-matrix %v: exit %d, want %d (the binary's):\n%s\nthe binary's stdout:\n%s", helmArgs, got.code, want.code, tr, want.stdout)
					}
				})
			}
		})
	}
	if p := os.Getenv("WORKLOAD_RBAC_PLUGIN_TRANSCRIPT"); p != "" {
		if err := os.WriteFile(p, []byte(transcript.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// preCommitHook is an entry of .pre-commit-hooks.yaml (pre-commit.com/#new-hooks).
type preCommitHook struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Entry          string   `json:"entry"`
	Language       string   `json:"language"`
	Files          string   `json:"files"`
	PassFilenames  *bool    `json:"pass_filenames"`
	RequireSerial  bool     `json:"require_serial"`
	Args           []string `json:"args"`
	MinimumVersion string   `json:"minimum_pre_commit_version"`
}

// TestPreCommitHookRunsTheCheckOnAChart reads .pre-commit-hooks.yaml strictly, checks that its files
// pattern picks a chart's files and nothing else, and runs its entry (the binary `go install` gives
// pre-commit) on a chart the way pre-commit does, with the args a user adds: exit 0 on a clean chart,
// 1 on a finding.
func TestPreCommitHookRunsTheCheckOnAChart(t *testing.T) {
	data, err := os.ReadFile("../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []preCommitHook
	if err := yaml.UnmarshalStrict(data, &hooks); err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	if len(hooks) != 1 {
		t.Fatalf("want one hook, got %d", len(hooks))
	}
	h := hooks[0]
	if h.ID != "rbac-matrix" || h.Language != "golang" || h.Name == "" {
		t.Errorf("hook %+v: want id rbac-matrix, language golang and a name", h)
	}
	if h.PassFilenames == nil || *h.PassFilenames {
		t.Errorf("pass_filenames must be false: check takes one chart, not the changed files")
	}
	files := regexp.MustCompile(h.Files) // pre-commit uses Python's re.search; this pattern is in the common subset
	for path, want := range map[string]bool{
		"Chart.yaml": true, "charts/operator/Chart.yaml": true, "charts/operator/values.yaml": true,
		"charts/operator/values.schema.json": true, "charts/operator/templates/rbac.yaml": true,
		"charts/operator/templates/_helpers.tpl": true, "charts/operator/Chart.lock": true, "ci/values-prod.yaml": true,
		"README.md": false, "cmd/rbac-matrix/main.go": false, "docs/values.md": false, "charts/operator/NOTES.md": false,
	} {
		if files.MatchString(path) != want {
			t.Errorf("files %q matches %s: %v, want %v", h.Files, path, !want, want)
		}
	}
	entry := strings.Fields(h.Entry)
	if len(entry) < 2 || entry[0] != "rbac-matrix" {
		t.Fatalf("entry %q: want `rbac-matrix SUBCOMMAND ...`", h.Entry)
	}
	expectReadmePreCommitExampleUses(t, h.ID)
	root, _ := filepath.Abs("..")
	bin := rbacMatrixBinary(t)
	for chart, wantCode := range map[string]int{"charts/registry-server": 0, "tests/fixtures/static-orphan": 1} {
		args := append(append(append([]string{}, entry[1:]...), h.Args...), chart)
		res, tr := runIn(t, root, os.Environ(), bin, args...)
		if res.code != wantCode {
			t.Errorf("the hook on %s: exit %d, want %d\n%s", chart, res.code, wantCode, tr)
		}
	}
}

// expectReadmePreCommitExampleUses checks the README's .pre-commit-config.yaml example: it parses
// strictly, and every hook it lists is id.
func expectReadmePreCommitExampleUses(t *testing.T, id string) {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(# \\.pre-commit-config\\.yaml\n.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```yaml block starting with # .pre-commit-config.yaml")
	}
	var config struct {
		Repos []struct {
			Repo  string `json:"repo"`
			Rev   string `json:"rev"`
			Hooks []struct {
				ID    string   `json:"id"`
				Alias string   `json:"alias"`
				Args  []string `json:"args"`
			} `json:"hooks"`
		} `json:"repos"`
	}
	if err := yaml.UnmarshalStrict(m[1], &config); err != nil {
		t.Fatalf("README's .pre-commit-config.yaml example: %v", err)
	}
	hooks := 0
	for _, r := range config.Repos {
		for _, hk := range r.Hooks {
			hooks++
			if hk.ID != id || len(hk.Args) == 0 {
				t.Errorf("README's pre-commit example hook %+v: want id %s and the chart in args", hk, id)
			}
		}
	}
	if hooks == 0 {
		t.Error("README's pre-commit example lists no hook")
	}
}
