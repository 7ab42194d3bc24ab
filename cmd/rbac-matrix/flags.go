package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// multi collects a repeated flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// common are the flags that say which chart and release to render.
type common struct {
	spec, release, namespace string
	sets, axes               multi
	helm                     helmValues
	major                    string // --helm: the Helm major that loads and renders
	caps                     capabilities
}

func (c *common) register(fs *flag.FlagSet) {
	c.registerChart(fs)
	fs.StringVar(&c.namespace, "namespace", "", "release namespace(s), comma-separated: more than one is an axis")
	fs.StringVar(&c.namespace, "n", "", "shorthand for --namespace")
}

// registerChart registers the flags that pick the chart and its values, without a namespace flag:
// who-can and can-i give -n the meaning kubectl gives it.
func (c *common) registerChart(fs *flag.FlagSet) {
	c.helm.register(fs)
	c.caps.register(fs)
	registerMajor(fs, &c.major)
	fs.StringVar(&c.spec, "spec", "", "matrix spec file (see pkg/matrix)")
	fs.StringVar(&c.release, "release", "", "release name (default from the spec, else \"release\")")
	fs.Var(&c.sets, "set", "PATH=VALUE as helm --set takes it (PATH={a,b} is a list), or PATH=[yaml list]; fixed for every combination; repeatable")
	fs.Var(&c.axes, "axis", "PATH=V1,V2 or PATH=[yaml list of values]: an axis of the matrix; repeatable")
}

// registerMajor registers --helm, the Helm major whose SDK loads and renders the chart.
func registerMajor(fs *flag.FlagSet, major *string) {
	fs.StringVar(major, "helm", "", "the Helm major that loads and renders the chart, as its helm template does: v4 (default) or v3; overrides the spec's helm")
}

// parse parses args, allowing flags after positional arguments (as helm does).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequested{fs, synopses[fs.Name()]}
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// buildSpec merges the spec file (if any) with the command-line chart, axes and fixed values.
func (c *common) buildSpec(positional []string) (*matrix.Spec, error) {
	spec := &matrix.Spec{}
	if c.spec != "" {
		s, err := matrix.LoadSpec(c.spec)
		if err != nil {
			return nil, err
		}
		spec = s
	}
	if len(positional) > 1 {
		return nil, usageError{fmt.Sprintf("one chart at a time, got %v", positional)}
	}
	if len(positional) == 1 {
		spec.Chart, spec.Dir = positional[0], ""
	}
	if spec.Chart == "" {
		return nil, usageError{"no chart: give CHART or --spec FILE"}
	}
	if err := matrix.CheckHelm("--helm", c.major); err != nil {
		return nil, usageError{err.Error()}
	}
	if c.major != "" {
		spec.Helm = c.major
	}
	if err := validateRelease(c.release); err != nil {
		return nil, err
	}
	if c.release != "" {
		spec.Release.Name = c.release
	}
	if nss := strings.Split(c.namespace, ","); c.namespace != "" {
		if len(nss) == 1 {
			spec.Release.Namespace = nss[0]
		} else {
			spec.Axes = append(spec.Axes, matrix.Axis{Namespace: nss})
		}
	}
	for _, a := range c.axes {
		path, vals, ok := strings.Cut(a, "=")
		if !ok || path == "" {
			return nil, usageError{fmt.Sprintf("--axis %q: want PATH=V1,V2 or PATH=[...]", a)}
		}
		var values []interface{}
		if strings.HasPrefix(strings.TrimSpace(vals), "[") {
			if err := yaml.Unmarshal([]byte(vals), &values); err != nil {
				return nil, usageError{fmt.Sprintf("--axis %s: %v", path, err)}
			}
		} else {
			for _, v := range strings.Split(vals, ",") {
				values = append(values, scalar(v))
			}
		}
		spec.Axes = append(spec.Axes, matrix.Axis{Path: path, Values: values})
	}
	setPaths := map[string]bool{}
	for _, s := range c.sets {
		path, val, err := parseSet(s)
		if err != nil {
			return nil, err
		}
		setPaths[path] = true
		spec.Axes = append(spec.Axes, matrix.Axis{Path: path, Values: []interface{}{val}})
	}
	if err := c.caps.apply(spec); err != nil {
		return nil, err
	}
	files, paths, err := c.helm.axes(setPaths)
	if err != nil {
		return nil, err
	}
	spec.Axes = append(append(spec.Axes, files...), paths...)
	return spec, spec.Validate()
}

// parseSet reads one --set PATH=VALUE the way `helm --set` does (Helm's strvals: "x=true" is a bool,
// "x={a,b}" a list), so a value copied from a helm command means the same here. A value that starts with
// "[" is read as a YAML list instead ("x=[a, b]", "x=[]"), which helm has no syntax for.
func parseSet(s string) (string, interface{}, error) {
	path, v, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return "", nil, usageError{fmt.Sprintf("--set %q: want PATH=VALUE", s)}
	}
	if strings.HasPrefix(strings.TrimSpace(v), "[") {
		var list []interface{}
		if err := yaml.Unmarshal([]byte(v), &list); err != nil {
			return "", nil, usageError{fmt.Sprintf("--set %s: %q is not a YAML list: %v", path, v, err)}
		}
		return path, list, nil
	}
	parsed, err := strvals.Parse(s)
	if err != nil {
		return "", nil, usageError{fmt.Sprintf("--set %q: %v", s, err)}
	}
	val, found := matrix.GetPath(parsed, path)
	if !found {
		key, _, _ := strings.Cut(path, "[")
		return "", nil, usageError{fmt.Sprintf("--set %q: PATH must be dotted keys (a.b.c); to set a list, give all of it: %s={x,y}", s, key)}
	}
	return path, val, nil
}

func scalar(v string) interface{} {
	var x interface{}
	if err := yaml.Unmarshal([]byte(v), &x); err != nil || x == nil {
		return v
	}
	return x
}
