package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Exit codes, as CI systems read them.
const (
	exitPass     = 0 // every check passed
	exitFindings = 1 // a finding at or above --fail-on (or can-i's "no", diff's risky gain)
	exitUsage    = 2 // bad flags or arguments
	exitTool     = 3 // the chart, a manifest or a spec could not be read or rendered
)

// helpRequested carries the flag set of a subcommand asked for --help or -h.
type helpRequested struct {
	fs       *flag.FlagSet
	synopsis string
}

func (h helpRequested) Error() string { return "help requested" }

// synopses are the first lines of each subcommand's --help.
var synopses = map[string]string{
	"check":    "rbac-matrix check [--spec FILE] [CHART | MANIFEST.yaml | MANIFEST-DIR | -] [flags]\n\nRenders CHART over every combination of the axes and checks the RBAC of each. Given rendered manifests\n(a file, a directory without Chart.yaml, or - for stdin, e.g. the output of helm template) it checks\nthem as they are.",
	"who-can":  "rbac-matrix who-can CHART|MANIFESTS|- [flags]\n\nPrints who can do what where in one rendering of CHART (or in rendered manifests).",
	"can-i":    "rbac-matrix can-i CHART|MANIFESTS|- --as NAMESPACE/SERVICEACCOUNT VERB RESOURCE[.GROUP][/SUB] [-n NAMESPACE | -A] [flags]\n\nAnswers kubectl auth can-i offline for one rendering of CHART: exit 0 for yes, 1 for no.",
	"checks":   "rbac-matrix checks [flags]\n\nLists the built-in checks.",
	"discover": "rbac-matrix discover CHART [flags]\n\nPrints the axes a check without --spec or --axis uses, and why each was kept.",
	"diff":     "rbac-matrix diff A [B] [flags]\n\nThe permission delta between two renderings: A and B are charts or rendered manifests (a file, a\ndirectory without Chart.yaml, or -); with one CHART, --a-set/--a-values and --b-set/--b-values give the\ntwo values sets. Exit 1 with --fail-on-gain when an account gains a risky grant.",
	"version":  "rbac-matrix version\n\nPrints the rbac-matrix module version and the versions of the Helm SDKs it renders with (v4 by default, v3 with --helm v3).",
}

// writeHelp prints a subcommand's synopsis and every flag with its description.
func writeHelp(out io.Writer, h helpRequested) {
	_, _ = fmt.Fprintf(out, "usage: %s\n\nflags:\n", h.synopsis)
	h.fs.SetOutput(out)
	h.fs.PrintDefaults()
}

// exitCode maps an error from a subcommand to the exit code, printing it (or the help asked for).
func exitCode(err error, stdout, stderr io.Writer) int {
	var h helpRequested
	if errors.As(err, &h) {
		writeHelp(stdout, h)
		return exitPass
	}
	_, _ = fmt.Fprintln(stderr, "rbac-matrix:", err)
	var u usageError
	if errors.As(err, &u) {
		_, _ = fmt.Fprint(stderr, usage)
		return exitUsage
	}
	return exitTool
}

// helmModules are the Helm SDKs rbac-matrix renders with, the default (--helm v4) first.
var helmModules = []struct{ path, flag string }{
	{"helm.sh/helm/v4", "--helm v4, the default"},
	{"helm.sh/helm/v3", "--helm v3"},
}

// cmdVersion prints the module version of rbac-matrix and of the Helm SDKs it was built with.
func cmdVersion(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	mod, helm := versions()
	if _, err := fmt.Fprintf(out, "rbac-matrix %s\n", mod); err != nil {
		return err
	}
	for _, m := range helmModules {
		if _, err := fmt.Fprintf(out, "helm SDK %s (%s)\n", helm[m.path], m.flag); err != nil {
			return err
		}
	}
	return nil
}

// versions reads the main module's and the Helm SDKs' versions (by module path) from the build
// information.
func versions() (module string, helm map[string]string) {
	module, helm = "unknown", map[string]string{}
	for _, m := range helmModules {
		helm[m.path] = "unknown"
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	module = bi.Main.Version
	if module == "" {
		module = "(devel)"
	}
	for _, d := range bi.Deps {
		if _, ok := helm[d.Path]; ok {
			helm[d.Path] = d.Version
			if d.Replace != nil {
				helm[d.Path] = d.Replace.Version
			}
		}
	}
	if module == "(devel)" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				module += " " + strings.TrimSpace(s.Value)
			}
		}
	}
	return
}

// schemaVersion is the version of every JSON document rbac-matrix prints; it changes when a field
// changes meaning or goes away (new fields do not change it).
const schemaVersion = 1

func writeJSON(out io.Writer, v interface{}) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
