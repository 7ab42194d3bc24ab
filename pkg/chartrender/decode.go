package chartrender

import (
	"cmp"
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

// contentCache maps a content (a document, a rendered file) to what was computed from it, so
// content rendered identically by many combinations is processed once. A content is kept only the
// second time it is put (the first time only its hash is noted): what one combination renders and
// no other does (its RBAC, its workloads) never fills it, so memory stays flat in the number of
// combinations. It is bounded by the bytes of content it holds: when full it is emptied.
type contentCache[V any] struct {
	max   int                       // bytes held before it is emptied; 0: maxCacheBytes
	seens int                       // hashes noted before they are forgotten; 0: maxSeenHashes
	weigh func(key string, v V) int // the bytes an entry counts for; nil: its key's
	mu    sync.Mutex
	m     map[uint64][]contentEntry[V]
	seen  map[uint64]struct{}
	bytes int
}

const maxSeenHashes = 1 << 16

type contentEntry[V any] struct {
	key string
	v   V
}

// maxCacheBytes bounds each cache: what a combination renders differently from every other one
// (its RBAC, its workloads) fills it, so it must stay small beside a process's working set.
const maxCacheBytes = 12 << 20

var cacheSeed = maphash.MakeSeed()

// A key is a scope (what computed the value: a function, a namespace) and a content; lookups hash
// and compare the two parts without joining them, and only a kept entry holds them joined.

func keyHash(scope, content string) uint64 {
	var h maphash.Hash
	h.SetSeed(cacheSeed)
	h.WriteString(scope)
	h.WriteByte(0)
	h.WriteString(content)
	return h.Sum64()
}

func (e *contentEntry[V]) is(scope, content string) bool {
	return len(e.key) == len(scope)+1+len(content) && e.key[len(scope)] == 0 &&
		e.key[:len(scope)] == scope && e.key[len(scope)+1:] == content
}

func (c *contentCache[V]) get(scope, content string) (V, bool) {
	h := keyHash(scope, content)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.m[h] {
		if e := &c.m[h][i]; e.is(scope, content) {
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

func (c *contentCache[V]) put(scope, content string, v V) {
	h := keyHash(scope, content)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[h]; !ok {
		if c.seen == nil || len(c.seen) >= cmp.Or(c.seens, maxSeenHashes) {
			c.seen = map[uint64]struct{}{}
		}
		c.seen[h] = struct{}{}
		return
	}
	key := scope + "\x00" + content
	n := len(key)
	if c.weigh != nil {
		n = c.weigh(key, v)
	}
	if c.m == nil || c.bytes+n > cmp.Or(c.max, maxCacheBytes) {
		c.m, c.bytes = map[uint64][]contentEntry[V]{}, 0
	}
	c.m[h] = append(c.m[h], contentEntry[V]{key, v})
	c.bytes += n
}

// docCache keeps decoded documents by release namespace and content; each caller gets a deep copy.
var docCache contentCache[runtime.Object]

// decodeCached is decodeManifest for the kinds in TypedKinds and an identification for the others,
// through docCache.
func decodeCached(m releaseutil.Manifest, namespace string) (runtime.Object, error) {
	if obj, ok := docCache.get(namespace, m.Content); ok {
		return obj.DeepCopyObject(), nil
	}
	obj, err := decodeLean(m, namespace)
	if err != nil {
		return nil, err
	}
	docCache.put(namespace, m.Content, obj)
	return obj.DeepCopyObject(), nil
}

func decodeLean(m releaseutil.Manifest, namespace string) (runtime.Object, error) {
	js, err := yaml.YAMLToJSON([]byte(m.Content))
	if err != nil {
		return decodeManifest(m, namespace) // its error, worded as before
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil || tm.Kind == "" || tm.APIVersion == "" {
		return decodeManifest(m, namespace)
	}
	if TypedKinds[tm.Kind] {
		// The JSON the YAML became is what the universal deserializer decodes after its own
		// YAMLToJSON: decode it as JSON, not the YAML a second time. Errors are worded from the YAML.
		if obj, err := decodeJSON(js, namespace); err == nil {
			return obj, nil
		}
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
