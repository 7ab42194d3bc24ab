package chartrender

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime"
)

// NotesObjects decodes the YAML documents a chart's NOTES list after the line marker (e.g. "Provide
// exactly these objects:"), the objects a chart asks platform teams or users to apply. Objects without a
// namespace that are not cluster-scoped get namespace. It fails when the marker is missing or a document
// does not decode.
func NotesObjects(notes, marker, namespace string) ([]runtime.Object, error) {
	_, body, ok := strings.Cut(notes, marker)
	if !ok {
		return nil, fmt.Errorf("NOTES have no %q section", marker)
	}
	var out []runtime.Object
	for i, doc := range strings.Split(body, "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj, err := decodeManifest(releaseutil.Manifest{Name: fmt.Sprintf("NOTES document %d", i), Content: doc}, namespace)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}
