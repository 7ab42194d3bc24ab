package helmv4

import (
	"encoding/json"
	"fmt"
	"sync"

	v3chart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// Both SDKs load a chart into the same shape (Chart.yaml metadata with the same fields and tags,
// templates, files, values, schema, the dependency tree). ToV3 and FromV3 convert one into the other,
// sharing the file contents, so a chart either SDK loaded can be rendered by the other and read by the
// code that inspects charts (discover, the chart checks) through Helm v3's types. A converted chart
// remembers its source: converting it back gives that chart, not a copy.

var (
	v3of sync.Map // *chart.Chart → *v3chart.Chart
	v4of sync.Map // *v3chart.Chart → *chart.Chart
)

// ToV3 is ch as Helm v3's *chart.Chart. The result is cached per ch: charts are read-only once loaded.
func ToV3(ch *chart.Chart) (*v3chart.Chart, error) {
	if v, ok := v3of.Load(ch); ok {
		return v.(*v3chart.Chart), nil
	}
	out, err := toV3(ch)
	if err != nil {
		return nil, fmt.Errorf("chart %s: convert to Helm v3's chart type: %w", ch.Name(), err)
	}
	v, _ := v3of.LoadOrStore(ch, out)
	v4of.LoadOrStore(v.(*v3chart.Chart), ch)
	return v.(*v3chart.Chart), nil
}

// FromV3 is ch as Helm v4's *chart.Chart (helm.sh/helm/v4/pkg/chart/v2), cached per ch.
func FromV3(ch *v3chart.Chart) (*chart.Chart, error) {
	if v, ok := v4of.Load(ch); ok {
		return v.(*chart.Chart), nil
	}
	out, err := fromV3(ch)
	if err != nil {
		return nil, fmt.Errorf("chart %s: convert to Helm v4's chart type: %w", ch.Name(), err)
	}
	v, _ := v4of.LoadOrStore(ch, out)
	v3of.LoadOrStore(v.(*chart.Chart), ch)
	return v.(*chart.Chart), nil
}

func toV3(ch *chart.Chart) (*v3chart.Chart, error) {
	out := &v3chart.Chart{Values: ch.Values, Schema: ch.Schema}
	out.Raw = filesToV3(ch.Raw)
	out.Templates = filesToV3(ch.Templates)
	out.Files = filesToV3(ch.Files)
	if err := remarshal(ch.Metadata, &out.Metadata); err != nil {
		return nil, err
	}
	if err := remarshal(ch.Lock, &out.Lock); err != nil {
		return nil, err
	}
	for _, d := range ch.Dependencies() {
		dv, err := toV3(d)
		if err != nil {
			return nil, err
		}
		out.AddDependency(dv)
	}
	return out, nil
}

func fromV3(ch *v3chart.Chart) (*chart.Chart, error) {
	out := &chart.Chart{Values: ch.Values, Schema: ch.Schema}
	out.Raw = filesFromV3(ch.Raw)
	out.Templates = filesFromV3(ch.Templates)
	out.Files = filesFromV3(ch.Files)
	if err := remarshal(ch.Metadata, &out.Metadata); err != nil {
		return nil, err
	}
	if err := remarshal(ch.Lock, &out.Lock); err != nil {
		return nil, err
	}
	for _, d := range ch.Dependencies() {
		dv, err := fromV3(d)
		if err != nil {
			return nil, err
		}
		out.AddDependency(dv)
	}
	return out, nil
}

func filesToV3(fs []*common.File) []*v3chart.File {
	if fs == nil {
		return nil
	}
	out := make([]*v3chart.File, len(fs))
	for i, f := range fs {
		out[i] = &v3chart.File{Name: f.Name, Data: f.Data}
	}
	return out
}

func filesFromV3(fs []*v3chart.File) []*common.File {
	if fs == nil {
		return nil
	}
	out := make([]*common.File, len(fs))
	for i, f := range fs {
		out[i] = &common.File{Name: f.Name, Data: f.Data}
	}
	return out
}

// remarshal copies in into out (a pointer to a nil pointer) through JSON; a nil in leaves it nil.
func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, out)
}
