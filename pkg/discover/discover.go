package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/helmv4"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// Options say how to render the chart for the sensitivity pass.
type Options struct {
	ReleaseName, Namespace string
	// Values are fixed for every rendering (--set); candidates on these paths are skipped.
	Values map[string]interface{}
	// Parallelism of the renders (<= 0: one per CPU).
	Parallelism int
	// KubeVersion and APIVersions are the fixed capabilities (--kube-version, --api-versions): a
	// fixed kube version drops the kubeVersion candidate, a fixed API version its candidate.
	KubeVersion string
	APIVersions []string
}

// Decision is a candidate and whether it became an axis, with the reason.
type Decision struct {
	Candidate
	Kept   bool   `json:"kept"`
	Reason string `json:"reason"`
}

// Axes are the kept decisions as matrix axes (default value first).
func Axes(ds []Decision) []matrix.Axis {
	var out []matrix.Axis
	for _, d := range ds {
		if d.Kept && d.isCapability() {
			out = append(out, capabilityAxis(d))
		} else if d.Kept {
			out = append(out, matrix.Axis{Path: d.Path, Values: d.Values})
		}
	}
	return out
}

// Discover lists the chart's candidates and renders each of their values alone, changed from the
// defaults. A candidate is kept when a value changes an RBAC object (a Role, ClusterRole or binding;
// their rules, roleRef, subjects and aggregation), a ServiceAccount, a runtime-rules ConfigMap, a pod's
// serviceAccountName, or what a container is told about namespaces or accounts (env vars and args
// whose name holds "namespace", env values naming a rendered ServiceAccount). A value that makes the
// chart reject the combination (its own `fail`/`required`, or values.schema.json) keeps the candidate
// too: a companion value may make it valid, and the matrix reports the cause once. Values that render
// exactly as the defaults do are left out of the axis.
func Discover(ctx context.Context, ch matrix.Chart, opts Options) ([]Decision, error) {
	cands, err := Candidates(ch)
	if err != nil {
		return nil, err
	}
	v3, err := matrix.V3(ch)
	if err != nil {
		return nil, err
	}
	cands = append(cands, capabilityCandidates(v3)...)
	base := matrix.Combination{ReleaseName: opts.ReleaseName, Namespace: opts.Namespace, Values: copyValues(opts.Values),
		KubeVersion: opts.KubeVersion, APIVersions: opts.APIVersions}
	type job struct{ cand, value int }
	var jobs []job
	var out []Decision
	for ci, c := range cands {
		if _, fixed := matrix.GetPath(opts.Values, c.Path); fixed || opts.fixes(c) {
			out = append(out, Decision{Candidate: c, Reason: "set on the command line"})
			continue
		}
		if c.Undeclared {
			out = append(out, Decision{Candidate: c, Reason: "the templates compare it, but neither values.yaml nor values.schema.json declares it: declare it, or give it as --axis"})
			continue
		}
		for vi := range c.Values {
			if vi == 0 {
				continue // the default
			}
			if _, err := setting(base, opts, c, c.Values[vi]); err != nil {
				return nil, err
			}
			jobs = append(jobs, job{ci, vi})
		}
	}
	// The base and then each job's combination, built as the renderer asks for it; each outcome is
	// judged as it comes and dropped (only verdicts, and the rejected combinations, stay).
	combos := func(yield func(matrix.Combination) bool) {
		if !yield(base) {
			return
		}
		for _, j := range jobs {
			combo, _ := setting(base, opts, cands[j.cand], cands[j.cand].Values[j.value]) // checked above
			if !yield(combo) {
				return
			}
		}
	}
	var baseFP map[string]string
	var baseManifest string
	verdicts := make([]verdict, len(cands))
	var rejections []rejection
	k := -1
	err = matrix.RenderEach(ctx, ch, combos, opts.Parallelism, func(o matrix.Outcome) error {
		if k++; k == 0 {
			if o.Err != nil {
				return baseError(o.Err)
			}
			baseFP, baseManifest = footprint(o.Result), o.Result.Manifest()
			return nil
		}
		j := jobs[k-1]
		v := &verdicts[j.cand]
		name := o.Combination.Settings[0]
		switch {
		case o.Err != nil && (matrix.IsChartRejection(o.Err) || matrix.IsSchemaRejection(o.Err)):
			v.rejected = append(v.rejected, name+": "+oneLine(o.Err.Error()))
			rejections = append(rejections, rejection{combo: o.Combination, err: o.Err, cand: j.cand})
		case o.Err != nil:
			v.broken = append(v.broken, name+": "+oneLine(o.Err.Error()))
		default:
			if d := diff(baseFP, footprint(o.Result)); d != "" {
				v.effects = append(v.effects, name+" "+d)
			} else if o.Result.Manifest() == baseManifest {
				if !cands[j.cand].isCapability() { // a version rendering as the default stays: the default has no name
					v.inert = append(v.inert, label(cands[j.cand].Values[j.value]))
					v.left = append(v.left, j.value)
				}
			} else {
				v.quiet = true
			}
		}
		return nil
	})
	if err != nil && k < 0 && ctx.Err() == nil { // not even the defaults rendered
		return nil, baseError(err)
	}
	if err != nil {
		return nil, err
	}
	if err := companions(ctx, ch, opts, cands, rejections, func(ci int, note string) {
		verdicts[ci].needed = append(verdicts[ci].needed, note)
	}, func(ci int) bool {
		v := verdicts[ci]
		return len(v.effects)+len(v.rejected)+len(v.broken) == 0
	}); err != nil {
		return nil, err
	}
	for ci, c := range cands {
		if _, fixed := matrix.GetPath(opts.Values, c.Path); fixed || c.Undeclared || opts.fixes(c) {
			continue
		}
		out = append(out, decide(c, verdicts[ci]))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// verdict is what rendering each value of a candidate alone showed.
type verdict struct {
	effects  []string // what a value changes, "path=v removes X"
	rejected []string // "path=v: message" for the chart's own fail/required
	broken   []string // other render errors
	inert    []string // values rendering exactly as the defaults
	left     []int    // indices of the values the axis leaves out (inert)
	quiet    bool     // some value changes the manifest, but nothing RBAC
	needed   []string // "x=v is rejected without it ...": a companion of a rejected value
}

// decide keeps a candidate when a value changes the RBAC footprint, is rejected (a companion may make
// it valid), fails otherwise, or is a rejected value's companion; the reason says which.
func decide(c Candidate, v verdict) Decision {
	d := Decision{Candidate: c}
	switch {
	case len(v.effects) > 0:
		d.Kept, d.Reason = true, strings.Join(v.effects, "; ")
	case len(v.rejected) > 0:
		d.Kept, d.Reason = true, v.rejected[0]+" (kept: a companion value may make it valid)"
	case len(v.broken) > 0:
		d.Kept, d.Reason = true, "fails to render: "+v.broken[0]
	case len(v.needed) > 0:
		d.Kept, d.Reason, v.left, v.inert = true, strings.Join(v.needed, "; "), nil, nil
	case v.quiet:
		d.Reason = "changes the rendering, but no RBAC object, ServiceAccount, pod account or namespace a program is told about"
	default:
		d.Reason = "every value renders exactly as the default does (alone: it may matter only together with another value)"
	}
	if d.Kept {
		d.Values = prune(c.Values, v.left)
		if len(v.inert) > 0 {
			d.Reason += fmt.Sprintf(" [left out, renders as the default: %s]", strings.Join(v.inert, ", "))
		}
	}
	return d
}

// baseError is the error of a chart that does not render with its defaults (err).
func baseError(err error) error {
	var v4Func *helmv4.V4FuncError
	if errors.As(err, &v4Func) { // the templates need Helm v4, whatever the values
		return fmt.Errorf("the chart does not render with Helm v3: %w", err)
	}
	return fmt.Errorf("the chart does not render with its defaults, so no value can be compared with them: %w (fix: --set the values it needs)", err)
}

// setting is base with candidate c set to v (its kube version, an added API version, or its values path).
func setting(base matrix.Combination, opts Options, c Candidate, v interface{}) (matrix.Combination, error) {
	combo := base
	combo.Values = copyValues(opts.Values)
	switch c.Kind {
	case KubeVersion:
		combo.KubeVersion = v.(string)
	case APIVersion:
		combo.APIVersions = append(append([]string{}, base.APIVersions...), v.(string))
	default:
		if err := matrix.SetPath(combo.Values, c.Path, chartrender.DeepCopyValue(v)); err != nil {
			return combo, err
		}
	}
	combo.Settings = []string{c.Path + "=" + label(v)}
	return combo, nil
}

// rejection is a combination the chart rejected (with err) when candidate cand was changed.
type rejection struct {
	combo matrix.Combination
	err   error
	cand  int
}

// companions finds the values a rejected value needs: for each rendering the chart rejected, the
// other candidates whose path the error names and that changed nothing alone (droppable) are set to
// each of their values in turn; a candidate with which the rendering succeeds is reported to found.
// The combinations are built as the renderer asks for them and each outcome is dropped once read.
func companions(ctx context.Context, ch matrix.Chart, opts Options, cands []Candidate,
	rejections []rejection, found func(ci int, note string), droppable func(ci int) bool) error {
	type try struct{ rejection, cand, value int } // a companion value tried on a rejected combination
	var tries []try
	for ri, r := range rejections {
		for ci, c := range cands {
			if ci == r.cand || c.Undeclared || c.isCapability() || !droppable(ci) || !strings.Contains(r.err.Error(), c.Path) {
				continue
			}
			if _, fixed := matrix.GetPath(opts.Values, c.Path); fixed {
				continue
			}
			for vi := 1; vi < len(c.Values); vi++ {
				if _, err := companion(r.combo, c, c.Values[vi]); err != nil {
					return err
				}
				tries = append(tries, try{ri, ci, vi})
			}
		}
	}
	combos := func(yield func(matrix.Combination) bool) {
		for _, t := range tries {
			combo, _ := companion(rejections[t.rejection].combo, cands[t.cand], cands[t.cand].Values[t.value]) // checked above
			if !yield(combo) {
				return
			}
		}
	}
	noted := map[string]bool{}
	i := -1
	err := matrix.RenderEach(ctx, ch, combos, opts.Parallelism, func(o matrix.Outcome) error {
		i++
		if o.Err != nil {
			return nil
		}
		ci := tries[i].cand
		note := o.Combination.Settings[0] + " is rejected without it and renders with " + o.Combination.Settings[1]
		if !noted[o.Combination.Settings[0]+"\x00"+cands[ci].Path] {
			noted[o.Combination.Settings[0]+"\x00"+cands[ci].Path] = true
			found(ci, note)
		}
		return nil
	})
	return err
}

// companion is the rejected combination with candidate c also set to v.
func companion(rejected matrix.Combination, c Candidate, v interface{}) (matrix.Combination, error) {
	combo := rejected
	combo.Values = copyValues(rejected.Values)
	if err := matrix.SetPath(combo.Values, c.Path, chartrender.DeepCopyValue(v)); err != nil {
		return combo, err
	}
	combo.Settings = append(append([]string{}, rejected.Settings...), c.Path+"="+label(v))
	return combo, nil
}

// prune returns vals without the indices in drop.
func prune(vals []interface{}, drop []int) []interface{} {
	out := []interface{}{}
	for i, v := range vals {
		if !slices.Contains(drop, i) {
			out = append(out, v)
		}
	}
	return out
}

// oneLine folds a multi-line error (Helm's schema errors) into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func label(v interface{}) string {
	if v == nil {
		return "null (unset)"
	}
	return matrix.ValueLabel(v)
}

func copyValues(m map[string]interface{}) map[string]interface{} {
	if m == nil {
		return map[string]interface{}{}
	}
	return chartrender.DeepCopyValue(m).(map[string]interface{})
}

// footprint is what of a rendering matters to RBAC, by a readable key.
func footprint(res *chartrender.Result) map[string]string {
	out := map[string]string{}
	put := func(key string, v interface{}) {
		b, _ := json.Marshal(v)
		out[key] = string(b)
	}
	accounts := map[string]bool{}
	for _, o := range res.Objects {
		key := chartrender.ObjectKey(o)
		switch x := o.(type) {
		case *rbacv1.Role:
			put(key, x.Rules)
		case *rbacv1.ClusterRole:
			agg := map[string]string{}
			for k, v := range x.Labels {
				if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to") {
					agg[k] = v
				}
			}
			put(key, []interface{}{x.Rules, x.AggregationRule, agg})
		case *rbacv1.RoleBinding:
			put(key, []interface{}{x.RoleRef, x.Subjects})
		case *rbacv1.ClusterRoleBinding:
			put(key, []interface{}{x.RoleRef, x.Subjects})
		case *corev1.ServiceAccount:
			put(key, x.AutomountServiceAccountToken)
			accounts[x.Name] = true
		case *corev1.ConfigMap:
			if x.Labels["workload-rbac.io/runtime-rules"] == "true" {
				put(key, []interface{}{x.Annotations, x.Data})
			}
		}
	}
	for _, p := range chartrender.PodTemplatesOf(res.Objects) {
		put(p.Owner+" serviceAccountName", p.Spec.ServiceAccountName)
		for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
			for _, e := range c.Env {
				if isNamespaceKey(e.Name) || accounts[e.Value] {
					put(p.Owner+" container "+c.Name+" env "+e.Name, e)
				}
			}
			var told []string
			args := append(append([]string{}, c.Command...), c.Args...)
			for i, a := range args {
				if !isNamespaceKey(a) && !accounts[a] {
					continue
				}
				told = append(told, a)
				if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && i+1 < len(args) {
					told = append(told, args[i+1])
				}
			}
			if len(told) > 0 {
				put(p.Owner+" container "+c.Name+" args", told)
			}
		}
	}
	return out
}

// diff says how a footprint differs from the base one, naming at most three keys.
func diff(base, fp map[string]string) string {
	var changes []string
	for k, v := range fp {
		if b, ok := base[k]; !ok {
			changes = append(changes, "adds "+k)
		} else if b != v {
			changes = append(changes, "changes "+k)
		}
	}
	for k := range base {
		if _, ok := fp[k]; !ok {
			changes = append(changes, "removes "+k)
		}
	}
	if len(changes) == 0 {
		return ""
	}
	sort.Strings(changes)
	if len(changes) > 3 {
		changes = append(changes[:3], fmt.Sprintf("(+%d more)", len(changes)-3))
	}
	return strings.Join(changes, ", ")
}

// fixes tells whether the fixed capabilities take a capability candidate off the table.
func (o Options) fixes(c Candidate) bool {
	switch c.Kind {
	case KubeVersion:
		return o.KubeVersion != ""
	case APIVersion:
		return slices.Contains(o.APIVersions, fmt.Sprint(c.Values[len(c.Values)-1]))
	}
	return false
}
