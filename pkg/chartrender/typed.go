package chartrender

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TypedObjects returns r's objects with every one the renderer only identified (a
// *metav1.PartialObjectMetadata: kinds outside TypedKinds) decoded in full, as DecodeManifests does:
// typed when client-go's scheme knows the kind, else *unstructured.Unstructured. Tests that assert on
// a Service or an Ingress use it; the checks never need it.
func (r *Result) TypedObjects() ([]runtime.Object, error) {
	out := make([]runtime.Object, len(r.Objects))
	for i, o := range r.Objects {
		if _, partial := o.(*metav1.PartialObjectMetadata); !partial || i >= len(r.Manifests) {
			out[i] = o
			continue
		}
		full, err := decodeManifest(r.Manifests[i], r.Namespace)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", ObjectKey(o), err)
		}
		out[i] = full
	}
	return out, nil
}

// OfType returns the objects of type T among objs (e.g. OfType[*appsv1.Deployment]), in their order.
func OfType[T runtime.Object](objs []runtime.Object) []T { return ofType[T](objs) }
