package matrix

import (
	"context"
	"fmt"

	"github.com/workload-rbac/workload-rbac/pkg/rbaccheck"
)

// Reduce finds, for a violation (check on object) of combination c, few axes that still give it when
// every other axis is at its first value: each axis in turn goes back to its first value, and stays
// there when the violation persists. It returns the settings left changed, in axis order (none: the
// first values alone give it). A covering array names a finding's combination but not its cause;
// this names the values that matter.
func Reduce(ctx context.Context, ch Chart, s *Spec, c Combination, check, object string, extra ...rbaccheck.Check) ([]string, error) {
	if len(c.row) != len(s.Axes) {
		return nil, fmt.Errorf("combination %q was not expanded from this spec", c.Name())
	}
	has := func(row []int) (bool, error) {
		combos, err := expandRows(s, [][]int{row})
		if err != nil {
			return false, err
		}
		for _, v := range s.Checks.Evaluate(Render(ctx, ch, combos, 1)[0], extra...).Violations {
			if v.Check == check && v.Object == object {
				return true, nil
			}
		}
		return false, nil
	}
	row := append([]int{}, c.row...)
	for i := range row {
		if row[i] == 0 {
			continue
		}
		try := append([]int{}, row...)
		try[i] = 0
		ok, err := has(try)
		if err != nil {
			return nil, err
		}
		if ok {
			row = try
		}
	}
	combos, err := expandRows(s, [][]int{row})
	if err != nil {
		return nil, err
	}
	var out []string
	for i, v := range row {
		if v != 0 {
			out = append(out, combos[0].Settings[i])
		}
	}
	return out, nil
}
