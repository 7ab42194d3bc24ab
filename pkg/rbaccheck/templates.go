package rbaccheck

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"text/template/parse"
)

// TemplateChecks are the checks of a chart's template sources rather than of a rendering: they run
// once per chart, on a model whose ModelOptions.Templates holds the sources.
func TemplateChecks() []Check {
	return []Check{
		{"unreachable-fail", "a top-level fail in a partial (templates/_*.tpl): Helm never renders a partial on its own, so the validation never runs", Warning,
			"move the check into a define that a rendered template includes, or into a rendered template (e.g. templates/validate.yaml)", checkUnreachableFails},
	}
}

// checkUnreachableFails finds fail calls outside any define in files whose name starts with "_".
func checkUnreachableFails(m *Model) []Finding {
	names := make([]string, 0, len(m.Options.Templates))
	for n := range m.Options.Templates {
		if strings.HasPrefix(path.Base(n), "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []Finding
	for _, n := range names {
		src := m.Options.Templates[n]
		t := parse.New(n)
		t.Mode = parse.SkipFuncCheck | parse.ParseComments
		trees := map[string]*parse.Tree{}
		if _, err := t.Parse(src, "{{", "}}", trees); err != nil {
			continue // Helm reports template syntax errors when it renders
		}
		main := trees[n]
		if main == nil || main.Root == nil {
			continue
		}
		for _, pos := range failCalls(main.Root) {
			line := 1 + strings.Count(src[:pos], "\n")
			out = append(out, Finding{Object: "template " + n,
				Message: fmt.Sprintf("%s line %d calls fail outside any define: Helm does not render partials (files starting with _) on their own, so this validation never runs", n, line)})
		}
	}
	return out
}

// failCalls returns the positions of calls to fail under node (defines are separate trees and are
// not walked).
func failCalls(node parse.Node) []int {
	var out []int
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.IdentifierNode:
			if x.Ident == "fail" {
				out = append(out, int(x.Position()))
			}
		case *parse.IfNode:
			walkBranch(&x.BranchNode, walk)
		case *parse.RangeNode:
			walkBranch(&x.BranchNode, walk)
		case *parse.WithNode:
			walkBranch(&x.BranchNode, walk)
		}
	}
	walk(node)
	return out
}

func walkBranch(b *parse.BranchNode, walk func(parse.Node)) {
	walk(b.Pipe)
	walk(b.List)
	walk(b.ElseList)
}
