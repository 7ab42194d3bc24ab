package helmv4

// This file executes a chart's templates as helm.sh/helm/v4/pkg/engine (v4.3.1) Engine{} does for
// `helm template` (Strict off, LintMode off, no client provider, DNS off, no custom functions), but
// parses the template set once per chart (chartrender.ParseOnce) and executes it per rendering on a
// Clone. Helm's own unexported functions are used where their signatures are exported types: the
// function map (funcMap), the error cleanup (cleanupParseError, reformatExecErrorMsg) and warnWrap,
// pulled in with //go:linkname. include and tpl are chartrender.IncludeFun and TplFun: Helm v4's
// includeFun and tplFun (Strict off; the same in v3) writing to pooled buffers, tpl parsing each
// distinct text once per bound clone instead of cloning the set and parsing on every call. What Engine.render and
// allTemplates do around them (the values scoping of recAllTpls, the required/fail/getHostByName
// overrides of initFunMap, the execution loop) is reproduced from Helm's engine.go (Apache-2.0, The
// Helm Authors); the parse order and parse loop are chartrender.ParseOnce's (sortTemplates is the same
// in v3 and v4), .Files is chartrender.NewFiles (v4's files.go is v3's). TestEngineMatchesHelmV4 and
// TestParseOnceEngineMatchesHelmV4 (tests/) render with both and require identical files and errors.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"strings"
	"text/template"
	_ "unsafe" // go:linkname

	ci "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
)

//go:linkname helmFuncMap helm.sh/helm/v4/pkg/engine.funcMap
func helmFuncMap() template.FuncMap

//go:linkname cleanupParseError helm.sh/helm/v4/pkg/engine.cleanupParseError
func cleanupParseError(filename string, err error) error

//go:linkname reformatExecErrorMsg helm.sh/helm/v4/pkg/engine.reformatExecErrorMsg
func reformatExecErrorMsg(filename string, err error) error

//go:linkname warnWrap helm.sh/helm/v4/pkg/engine.warnWrap
func warnWrap(warn string) string

// renderable is engine.renderable: one template file with the values it executes with (data is the
// file's Data itself, whose identity keys the parsed set).
type renderable struct {
	data     []byte
	vals     common.Values
	basePath string
}

// allTemplates is engine.allTemplates: every template of c and its dependencies, each with its scoped
// values.
func allTemplates(c ci.Charter, vals common.Values) map[string]renderable {
	templates := make(map[string]renderable)
	recAllTpls(c, templates, vals)
	return templates
}

// recAllTpls is engine.recAllTpls.
func recAllTpls(c ci.Charter, templates map[string]renderable, values common.Values) map[string]any {
	vals := values.AsMap()
	subCharts := make(map[string]any)
	accessor, err := ci.NewAccessor(c)
	if err != nil {
		slog.Error("error accessing chart", "error", err)
	}
	chartMetaData := accessor.MetadataAsMap()
	chartMetaData["IsRoot"] = accessor.IsRoot()
	chartFiles := map[string][]byte{}
	for _, f := range accessor.Files() {
		chartFiles[f.Name] = f.Data
	}
	next := map[string]any{
		"Chart":        chartMetaData,
		"Files":        chartrender.NewFiles(chartFiles),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(common.Values),
		"Subcharts":    subCharts,
	}
	if accessor.IsRoot() {
		next["Values"] = vals["Values"]
	} else if vs, err := values.Table("Values." + accessor.Name()); err == nil {
		next["Values"] = vs
	}
	for _, child := range accessor.Dependencies() {
		sub, _ := ci.NewAccessor(child)
		subCharts[sub.Name()] = recAllTpls(child, templates, next)
	}
	newParentID := accessor.ChartFullPath()
	for _, t := range accessor.Templates() {
		if t == nil {
			continue
		}
		if accessor.IsLibraryChart() && !strings.HasPrefix(filepath.Base(t.Name), "_") {
			continue
		}
		templates[path.Join(newParentID, t.Name)] = renderable{
			data:     t.Data,
			vals:     next,
			basePath: path.Join(newParentID, "templates"),
		}
	}
	return next
}

// funcMap is the function map Engine{}.initFunMap gives a `helm template` rendering, less include
// and tpl (bound per rendering): Helm v4's funcMap with the required and fail of LintMode off and
// getHostByName returning "" (DNS off); lookup stays funcMap's (no client provider). Sprig's regex
// functions compile each pattern once, fromYaml/fromJson parse each input once (the same functions,
// cached: chartrender.CacheRegexps, CacheParses), and unless realCrypto the key and certificate
// generators draw from chartrender's key pool (chartrender.PoolCrypto).
func funcMap(realCrypto bool) template.FuncMap {
	f := helmFuncMap()
	f["required"] = func(warn string, val any) (any, error) {
		if val == nil {
			return val, errors.New(warnWrap(warn))
		} else if _, ok := val.(string); ok {
			if val == "" {
				return val, errors.New(warnWrap(warn))
			}
		}
		return val, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(warnWrap(msg)) }
	f["getHostByName"] = func(_ string) string { return "" }
	chartrender.CacheRegexps(f)
	chartrender.CacheParses(f, "v4")
	if !realCrypto {
		chartrender.PoolCrypto(f)
	}
	return f
}

// parsed is engine.render's sortTemplates and parse loop (chartrender.ParseOnce), done once per set
// of sources and crypto mode: the template paths in parse order and the parsed set.
func parsed(tpls map[string]renderable, realCrypto bool) ([]string, *chartrender.ParsedSet) {
	return chartrender.ParseOnce("v4", realCrypto, tpls, func(r renderable) []byte { return r.data },
		func() template.FuncMap { return funcMap(realCrypto) }, cleanupParseError)
}

// renderTemplates is engine.Engine{}.RenderWithContext(ctx, c, top) on a template set parsed once.
func renderTemplates(c ci.Charter, top common.Values, realCrypto bool) (map[string]string, error) {
	return render(allTemplates(c, top), realCrypto)
}

// render is Engine.render: parse (here, take the parsed set), then execute every non-partial template
// on a clone with Helm v4's include and tpl (Strict off) bound, as Engine.initFunMap binds them
// (chartrender.ParsedSet.Acquire).
func render(tpls map[string]renderable, realCrypto bool) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	keys, set := parsed(tpls, realCrypto)
	if set.Err != nil {
		return map[string]string{}, set.Err
	}
	bound, err := set.Acquire()
	if err != nil {
		return map[string]string{}, err
	}
	defer set.Release(bound)
	t := bound.T
	buf := chartrender.GetBuffer()
	defer chartrender.PutBuffer(buf)
	rendered = make(map[string]string, len(keys))
	for _, filename := range keys {
		if strings.HasPrefix(path.Base(filename), "_") {
			continue
		}
		vals := tpls[filename].vals
		vals["Template"] = common.Values{"Name": filename, "BasePath": tpls[filename].basePath}
		if err := t.ExecuteTemplate(buf, filename, vals); err != nil {
			return map[string]string{}, reformatExecErrorMsg(filename, err)
		}
		rendered[filename] = strings.ReplaceAll(buf.String(), "<no value>", "")
		buf.Reset()
	}
	return rendered, nil
}

// RenderTemplates runs the templates of c (a chart RenderValues prepared) with top as Helm v4's
// engine.Engine{}.RenderWithContext(ctx, c, top) does and returns every file by template path. By
// default on a template set parsed once per chart, with keys from chartrender's pool unless
// opts.RealCrypto; opts.Engine chartrender.EngineHelm calls Helm v4's engine itself (every template
// re-parsed, fresh keys).
func RenderTemplates(c *chart.Chart, top common.Values, opts chartrender.Options) (map[string]string, error) {
	if opts.Engine == chartrender.EngineHelm {
		return engine.Engine{}.RenderWithContext(context.Background(), c, top)
	}
	return renderTemplates(c, top, opts.RealCrypto)
}
