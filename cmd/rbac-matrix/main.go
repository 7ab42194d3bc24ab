// Command rbac-matrix renders a Helm chart over every combination of a values matrix, in-process, and
// checks the RBAC of each: orphaned bindings, roles and ServiceAccounts, scope leaks, runtime escalation
// gaps and risky grants. It exits 0 when every check passes, 1 on findings (at or above --fail-on),
// 2 on a usage error and 3 when a chart, manifest or spec cannot be read or rendered.
//
//	rbac-matrix check --spec tests/matrix/operator.yaml
//	rbac-matrix check charts/operator --axis rbac.namespaceScoped=false,true --axis 'rbac.watchNamespaces=[[],[a]]'
//	rbac-matrix check --spec tests/matrix/operator.yaml --output junit > report.xml
//	rbac-matrix check tests/fixtures/zero-config      # no spec, no axes: they are discovered
//	rbac-matrix discover tests/fixtures/zero-config   # the discovered axes and why each was kept
//	rbac-matrix who-can charts/operator --set rbac.namespaceScoped=true --release-namespace ops -n team-a
//	rbac-matrix can-i charts/operator --release-namespace ops --as ops/release-operator create roles -n team-a
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(helmPluginArgs(os.Args[1:], os.Getenv), os.Stdout, os.Stderr))
}

const usage = `usage:
  rbac-matrix check   [--spec FILE] [CHART | MANIFEST.yaml | MANIFEST-DIR | -] [--axis PATH=V1,V2] [--set PATH=V] [--namespace NS,...] [--release NAME]
                      [--suppress ID] [-o|--output table|json|junit|sarif|github] [--who-can] [--parallel N] [--quiet]
                      [--fail-on error|warning] [--external-role Role/NS/NAME|ClusterRole/NAME] [--external-serviceaccount NS/NAME]
                      [--max-combinations N] [--strength T] [--summary | --list] [--discover] [--real-crypto]
                      (no --spec, --axis or --set: the axes are discovered, see discover; rendered manifests,
                      e.g. helm template ... | rbac-matrix check -, are checked as they are)
  rbac-matrix who-can CHART [--set PATH=V] [--release-namespace NS] [-n NAMESPACE] [--release NAME] [-o text|json]
  rbac-matrix can-i   CHART [--set PATH=V] [--release-namespace NS] [--release NAME] --as NS/SERVICEACCOUNT VERB RESOURCE[.GROUP][/SUB]
                      [-n NAMESPACE | -A] [-o text|json]
                      (-n is the request's namespace as in kubectl; the release namespace defaults to it)
  rbac-matrix checks  [--format text|markdown]  (list the built-in checks)
  rbac-matrix version  (the rbac-matrix and Helm SDK versions)
  rbac-matrix diff    A [B] [--set PATH=V] [--a-set PATH=V] [--b-set PATH=V] [-n NS] [-o text|json|markdown] [--fail-on-gain]
                      (the permission delta between two charts, manifests, or values sets of one CHART)
  rbac-matrix discover CHART [--set PATH=V] [-n NAMESPACE] [--release NAME] [--output table|json]
                      (the axes a check without --spec or --axis uses, and why each was kept)
  rbac-matrix installer-rbac [--spec FILE] [CHART] [matrix flags as check] --service-account NS/NAME [--grant-mode escalate|bind] [--resource Kind.group=plural[,cluster]]
  rbac-matrix COMMAND --help   (every flag of COMMAND)
helm's value flags work where --set does: -f/--values, --set-json, --set-string, --set-file, --set-literal;
who-can, can-i and diff also take --kube-version and --api-versions
every command that renders takes --helm v3|v4: the Helm major whose SDK loads and renders (default v4)
exit codes: 0 pass, 1 findings, 2 usage error, 3 chart, manifest or spec error
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	code := 0
	switch args[0] {
	case "check":
		code, err = cmdCheck(args[1:], stdout)
	case "who-can":
		err = cmdWhoCan(args[1:], stdout)
	case "can-i":
		code, err = cmdCanI(args[1:], stdout)
	case "checks":
		err = cmdChecks(args[1:], stdout)
	case "discover":
		err = cmdDiscover(args[1:], stdout)
	case "installer-rbac":
		err = cmdInstallerRBAC(args[1:], stdout, stderr)
	case "version":
		err = cmdVersion(args[1:], stdout)
	case "diff":
		code, err = cmdDiff(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if err != nil {
		return exitCode(err, stdout, stderr)
	}
	return code
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }
