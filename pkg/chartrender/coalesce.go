package chartrender

import (
	"fmt"
	"log"

	"github.com/mitchellh/copystructure"
)

// Helm's values coalescing (chartutil.CoalesceValues of Helm v3.22, util.CoalesceValues of Helm
// v4.3.1), reproduced from helm.sh/helm/v3/pkg/chartutil/coalesce.go and
// helm.sh/helm/v4/pkg/chart/common/util/coalesce.go (Apache-2.0, see NOTICE) with one change: the deep
// copies Helm makes of the user values and of every chart's defaults on each call are made by
// copyTree, a plain recursive copy of the map[string]any / []any trees values are, instead of
// copystructure's reflection walk, which was most of the cost of preparing a rendering's values. The
// rules, the order, the warnings (log.Printf, as Helm) and the errors are Helm's; the v4 flag selects
// v4's one change (chart-default nils never reach the coalesced result). The values differential
// test (tests/values_differential_test.go) holds both to Helm's own functions.

// CoalesceChart is what coalescing reads of a chart: Helm v3's *chart.Chart and Helm v4's
// *chart.Chart (helm.sh/helm/v4/pkg/chart/v2) both are one.
type CoalesceChart[C any] interface {
	Name() string
	Dependencies() []C
}

type coalescer[C CoalesceChart[C]] struct {
	values func(C) map[string]interface{}
	v4     bool
	printf func(format string, v ...interface{})
}

// CoalesceValues is chartutil.CoalesceValues(ch, vals) of Helm v3 (v4 false) or util.CoalesceValues
// of Helm v4 (v4 true): the values ch's templates see, vals over every chart's defaults (values
// reads a chart's values.yaml). vals is not modified; the result shares nothing with vals or ch.
func CoalesceValues[C CoalesceChart[C]](ch C, vals map[string]interface{}, values func(C) map[string]interface{}, v4 bool) (map[string]interface{}, error) {
	co := coalescer[C]{values: values, v4: v4, printf: log.Printf}
	dest, err := copyTree(vals)
	if err != nil {
		return vals, err
	}
	d, _ := dest.(map[string]interface{})
	if d == nil {
		d = map[string]interface{}{}
	}
	return co.coalesce(ch, d, "", false)
}

// copyTree deep-copies a values tree as copystructure.Copy does (nil maps and lists stay nil): maps
// of string to any, lists and scalars directly, anything else through copystructure.
func copyTree(v interface{}) (interface{}, error) {
	switch x := v.(type) {
	case nil, string, bool, int, int64, float64:
		return v, nil
	case map[string]interface{}:
		if x == nil {
			return x, nil
		}
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			c, err := copyTree(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []interface{}:
		if x == nil {
			return x, nil
		}
		out := make([]interface{}, len(x))
		for i, e := range x {
			c, err := copyTree(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return copystructure.Copy(v)
}

func concatPrefix(a, b string) string {
	if a == "" {
		return b
	}
	return fmt.Sprintf("%s.%s", a, b)
}

func (co coalescer[C]) coalesce(ch C, dest map[string]interface{}, prefix string, merge bool) (map[string]interface{}, error) {
	co.coalesceValues(ch, dest, prefix, merge)
	return co.coalesceDeps(ch, dest, prefix, merge)
}

func (co coalescer[C]) coalesceDeps(chrt C, dest map[string]interface{}, prefix string, merge bool) (map[string]interface{}, error) {
	for _, subchart := range chrt.Dependencies() {
		if c, ok := dest[subchart.Name()]; !ok {
			dest[subchart.Name()] = make(map[string]interface{})
		} else if !istable(c) {
			return dest, fmt.Errorf("type mismatch on %s: %t", subchart.Name(), c)
		}
		if dv, ok := dest[subchart.Name()]; ok {
			dvmap := dv.(map[string]interface{})
			subPrefix := concatPrefix(prefix, chrt.Name())
			co.coalesceGlobals(dvmap, dest, subPrefix)
			var err error
			dest[subchart.Name()], err = co.coalesce(subchart, dvmap, subPrefix, merge)
			if err != nil {
				return dest, err
			}
		}
	}
	return dest, nil
}

const globalKey = "global"

func (co coalescer[C]) coalesceGlobals(dest, src map[string]interface{}, prefix string) {
	var dg, sg map[string]interface{}
	if destglob, ok := dest[globalKey]; !ok {
		dg = make(map[string]interface{})
	} else if dg, ok = destglob.(map[string]interface{}); !ok {
		co.printf("warning: skipping globals because destination %s is not a table.", globalKey)
		return
	}
	if srcglob, ok := src[globalKey]; !ok {
		sg = make(map[string]interface{})
	} else if sg, ok = srcglob.(map[string]interface{}); !ok {
		co.printf("warning: skipping globals because source %s is not a table.", globalKey)
		return
	}
	for key, val := range sg {
		if istable(val) {
			vv := copyMap(val.(map[string]interface{}))
			if destv, ok := dg[key]; !ok {
				dg[key] = vv
			} else {
				if destvmap, ok := destv.(map[string]interface{}); !ok {
					co.printf("Conflict: cannot merge map onto non-map for %q. Skipping.", key)
				} else {
					co.coalesceTablesFullKey(vv, destvmap, concatPrefix(prefix, key), true)
					dg[key] = vv
				}
			}
		} else if dv, ok := dg[key]; ok && istable(dv) {
			co.printf("key %s is table. Skipping", key)
		} else {
			dg[key] = val
		}
	}
	dest[globalKey] = dg
}

func copyMap(src map[string]interface{}) map[string]interface{} {
	m := make(map[string]interface{}, len(src))
	for k, v := range src {
		m[k] = v
	}
	return m
}

func (co coalescer[C]) coalesceValues(c C, v map[string]interface{}, prefix string, merge bool) {
	subPrefix := concatPrefix(prefix, c.Name())
	var vc map[string]interface{}
	if valuesCopy, err := copyTree(co.values(c)); err != nil {
		co.printf("warning: unable to copy values, err: %s", err)
		vc = co.values(c)
	} else {
		vc, _ = valuesCopy.(map[string]interface{})
	}
	for key, val := range vc {
		if value, ok := v[key]; ok {
			if value == nil && !merge {
				delete(v, key)
			} else if dest, ok := value.(map[string]interface{}); ok {
				src, ok := val.(map[string]interface{})
				if !ok {
					if val != nil {
						co.printf("warning: skipped value for %s.%s: Not a table.", subPrefix, key)
					}
				} else {
					merge := co.childChartMergeTrue(c, key, merge)
					if co.v4 && !merge {
						cleanNilValues(src)
					}
					co.coalesceTablesFullKey(dest, src, concatPrefix(subPrefix, key), merge)
				}
			}
		} else {
			if co.v4 && !merge {
				if val == nil {
					continue
				}
				if sub, ok := val.(map[string]interface{}); ok {
					cleanNilValues(sub)
				}
			}
			v[key] = val
		}
	}
}

func (co coalescer[C]) childChartMergeTrue(chrt C, key string, merge bool) bool {
	for _, subchart := range chrt.Dependencies() {
		if subchart.Name() == key {
			return true
		}
	}
	return merge
}

func (co coalescer[C]) coalesceTablesFullKey(dst, src map[string]interface{}, prefix string, merge bool) map[string]interface{} {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	srcOriginalNonNil := make(map[string]bool)
	for key, val := range src {
		if val != nil {
			srcOriginalNonNil[key] = true
		}
	}
	for key, val := range dst {
		if val == nil {
			src[key] = nil
		}
	}
	for key, val := range src {
		fullkey := concatPrefix(prefix, key)
		if dv, ok := dst[key]; ok && !merge && dv == nil && srcOriginalNonNil[key] {
			delete(dst, key)
		} else if !ok {
			dst[key] = val
		} else if istable(val) {
			if istable(dv) {
				co.coalesceTablesFullKey(dv.(map[string]interface{}), val.(map[string]interface{}), fullkey, merge)
			} else {
				co.printf("warning: cannot overwrite table with non table for %s (%v)", fullkey, val)
			}
		} else if istable(dv) && val != nil {
			co.printf("warning: destination for %s is a table. Ignoring non-table value (%v)", fullkey, val)
		}
	}
	return dst
}

func cleanNilValues(m map[string]interface{}) {
	for key, val := range m {
		if val == nil {
			delete(m, key)
		} else if sub, ok := val.(map[string]interface{}); ok {
			cleanNilValues(sub)
		}
	}
}

func istable(v interface{}) bool {
	_, ok := v.(map[string]interface{})
	return ok
}
