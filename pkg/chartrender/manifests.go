package chartrender

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// IsChartDir tells a chart directory (it holds Chart.yaml) or a packaged chart (.tgz) from rendered
// manifests (a YAML or JSON file, or a directory of them).
func IsChartDir(path string) bool {
	if strings.HasSuffix(path, ".tgz") || strings.HasSuffix(path, ".tar.gz") {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "Chart.yaml"))
	return err == nil
}

// ReadManifests decodes rendered manifests from path: "-" is stdin (given as in), a file is one
// stream, a directory is every .yaml, .yml and .json file under it in path order. Objects without a
// namespace are put in namespace, as `kubectl apply -n` (or `helm install -n`) would.
func ReadManifests(path string, in io.Reader, namespace string) (*Result, error) {
	if namespace == "" {
		namespace = "default"
	}
	res := &Result{Namespace: namespace}
	if path == "-" {
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, fmt.Errorf("read manifests from stdin: %w", err)
		}
		return res, res.decodeStream(string(data), "stdin")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		files = nil
		err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("read manifests: %s has no .yaml, .yml or .json file (and no Chart.yaml, so it is no chart)", path)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		if err := res.decodeStream(string(data), f); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// DecodeManifests decodes a multi-document stream (the output of `helm template`, `kind: List`
// documents included) in stream order; each document's `# Source:` comment (else origin) becomes its
// Manifest.Name, the template a finding about the object points to.
func DecodeManifests(stream, origin, namespace string) (*Result, error) {
	if namespace == "" {
		namespace = "default"
	}
	res := &Result{Namespace: namespace}
	return res, res.decodeStream(stream, origin)
}

func (r *Result) decodeStream(stream, origin string) error {
	for i, d := range splitDocuments(stream) {
		source := origin
		for _, l := range strings.Split(d.Content, "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(l), "# Source: "); ok {
				source = strings.TrimSpace(s)
			}
		}
		at := Origin{File: origin, Line: d.Line}
		if err := r.addDocument(d.Content, source, at, fmt.Sprintf("%s (document %d, line %d)", origin, i+1, d.Line)); err != nil {
			return err
		}
	}
	return nil
}

// addDocument decodes one document, expanding a List into its items.
func (r *Result) addDocument(doc, source string, at Origin, where string) error {
	var head struct {
		Kind  string        `json:"kind"`
		Items []interface{} `json:"items"`
	}
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		if strings.Contains(doc, "{{") {
			return fmt.Errorf("%s: a template, not a rendered manifest: give the chart directory (with Chart.yaml), or the output of helm template", where)
		}
		return fmt.Errorf("%s: not YAML: %w", where, err)
	}
	if head.Kind == "" {
		return fmt.Errorf("%s (%s): no kind: every document must be a Kubernetes object", where, source)
	}
	if head.Kind == "List" || (strings.HasSuffix(head.Kind, "List") && head.Items != nil) {
		for j, item := range head.Items {
			data, err := yaml.Marshal(item)
			if err != nil {
				return fmt.Errorf("%s: items[%d]: %w", where, j, err)
			}
			if err := r.addDocument(string(data), source, at, fmt.Sprintf("%s items[%d]", where, j)); err != nil {
				return err
			}
		}
		return nil
	}
	m := releaseutil.Manifest{Name: source, Content: doc}
	obj, err := decodeManifest(m, r.Namespace)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	r.Objects = append(r.Objects, obj)
	r.Manifests = append(r.Manifests, m)
	r.Origins = append(r.Origins, at)
	return nil
}
