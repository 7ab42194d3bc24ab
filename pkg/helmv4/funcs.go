package helmv4

import (
	"fmt"
	"regexp"
)

// OnlyFuncs are the template functions Helm v4.3.1's engine has and Helm v3.22's does not: the keys
// helm.sh/helm/v4/pkg/engine/funcs.go adds to sprig's that v3's funcs.go does not (mustToJson is
// new there too, but sprig already has one, so v3 knows the name). TestOnlyFuncsAreHelmV4Only parses
// each with both engines.
var OnlyFuncs = []string{
	"mustToToml", "mustToYaml",
	"mustToDuration", "durationSeconds", "durationMilliseconds", "durationMicroseconds", "durationNanoseconds",
	"durationMinutes", "durationHours", "durationDays", "durationWeeks", "durationRoundTo", "durationTruncateTo",
}

var undefinedFunc = regexp.MustCompile(`function "([A-Za-z0-9_]+)" not defined`)

// ExplainV3Error is a Helm v3 render error, or, when it is a template calling a function only Helm v4
// has, that error saying so and how to render it: the values are not at fault.
func ExplainV3Error(err error) error {
	if err == nil {
		return nil
	}
	m := undefinedFunc.FindStringSubmatch(err.Error())
	if m == nil || !IsOnlyFunc(m[1]) {
		return err
	}
	return &V4FuncError{Func: m[1], Err: err}
}

// IsOnlyFunc tells whether name is one of OnlyFuncs.
func IsOnlyFunc(name string) bool {
	for _, f := range OnlyFuncs {
		if f == name {
			return true
		}
	}
	return false
}

// V4FuncError is Helm v3 failing on a template function only Helm v4 has.
type V4FuncError struct {
	Func string
	Err  error
}

func (e *V4FuncError) Error() string {
	return fmt.Sprintf("%v: %s is a Helm v4 template function (Helm %s has it, Helm v3 does not): render with Helm v4 (--helm v4, or helm: v4 in the spec), or do without %s in the template to support Helm v3",
		e.Err, e.Func, Version, e.Func)
}

func (e *V4FuncError) Unwrap() error { return e.Err }
