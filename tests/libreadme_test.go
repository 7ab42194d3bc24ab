package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLibraryReadmeDocumentsOnlyTemplatesThatExist: every template the library README documents is
// defined in templates-lib (documentation never outlives a template); undocumented ones are listed.
func TestLibraryReadmeDocumentsOnlyTemplatesThatExist(t *testing.T) {
	readme, err := os.ReadFile("../templates-lib/README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../templates-lib/templates/*/*.tpl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no library templates: %v", err)
	}
	defined := map[string]bool{}
	defineRE := regexp.MustCompile(`define "(workload-rbac\.[^"]+)"`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range defineRE.FindAllStringSubmatch(string(data), -1) {
			defined[m[1]] = true
		}
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "### ") {
			for _, m := range regexp.MustCompile("`(workload-rbac\\.[^`]+)`").FindAllStringSubmatch(line, -1) {
				documented[m[1]] = true
				if !defined[m[1]] {
					t.Errorf("templates-lib/README.md documents %s, which templates-lib does not define", m[1])
				}
			}
		}
	}
	for name := range defined {
		if !documented[name] {
			t.Logf("templates-lib/README.md does not document %s yet", name)
		}
	}
	if len(documented) == 0 {
		t.Fatal("templates-lib/README.md documents no template")
	}
}
