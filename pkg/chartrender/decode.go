package chartrender

import (
	"encoding/json"
	"hash/maphash"
	"sync"

	"helm.sh/helm/v3/pkg/releaseutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TypedKinds are the kinds decoded into typed k8s.io/api objects: the ones the checks read (RBAC,
// ServiceAccounts, ConfigMaps, Namespaces and the pod-bearing workloads). Every other document is
// identified only — a *metav1.PartialObjectMetadata with its kind, apiVersion and metadata — which
// is all a check reads of it (key, namespace, labels, annotations).
var TypedKinds = map[string]bool{
	"Role": true, "ClusterRole": true, "RoleBinding": true, "ClusterRoleBinding": true,
	"ServiceAccount": true, "ConfigMap": true, "Namespace": true,
	"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true,
	"Job": true, "CronJob": true,
}

// docCache keeps decoded documents by content (and release namespace), so a document rendered
// identically by many combinations (a CRD, a static ConfigMap) is decoded once; each caller gets a
// deep copy. It is bounded by the bytes of content it holds: when full it is emptied.
var docCache = struct {
	sync.Mutex
	m     map[uint64][]cachedDoc
	bytes int
}{m: map[uint64][]cachedDoc{}}

type cachedDoc struct {
	namespace, content string
	obj                runtime.Object
}

const maxDocCacheBytes = 64 << 20

var docSeed = maphash.MakeSeed()

// decodeCached is decodeManifest for the kinds in TypedKinds and an identification for the others,
// through docCache.
func decodeCached(m releaseutil.Manifest, namespace string) (runtime.Object, error) {
	h := maphash.String(docSeed, namespace+"\x00"+m.Content)
	docCache.Lock()
	for _, d := range docCache.m[h] {
		if d.namespace == namespace && d.content == m.Content {
			docCache.Unlock()
			return d.obj.DeepCopyObject(), nil
		}
	}
	docCache.Unlock()
	obj, err := decodeLean(m, namespace)
	if err != nil {
		return nil, err
	}
	docCache.Lock()
	if docCache.bytes+len(m.Content) > maxDocCacheBytes {
		docCache.m, docCache.bytes = map[uint64][]cachedDoc{}, 0
	}
	docCache.m[h] = append(docCache.m[h], cachedDoc{namespace, m.Content, obj})
	docCache.bytes += len(m.Content)
	docCache.Unlock()
	return obj.DeepCopyObject(), nil
}

func decodeLean(m releaseutil.Manifest, namespace string) (runtime.Object, error) {
	js, err := yaml.YAMLToJSON([]byte(m.Content))
	if err != nil {
		return decodeManifest(m, namespace) // its error, worded as before
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil || tm.Kind == "" || tm.APIVersion == "" || TypedKinds[tm.Kind] {
		return decodeManifest(m, namespace)
	}
	p := &metav1.PartialObjectMetadata{}
	if err := json.Unmarshal(js, p); err != nil {
		return decodeManifest(m, namespace)
	}
	if p.Namespace == "" && !IsClusterScoped(p) {
		p.Namespace = namespace
	}
	return p, nil
}
