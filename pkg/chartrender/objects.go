package chartrender

import (
	"fmt"
	"reflect"

	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// ClusterScopedKinds are the kinds that live outside any namespace. Kinds not listed (custom resources
// included) are taken as namespaced.
var ClusterScopedKinds = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "StorageClass": true, "PriorityClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"APIService": true, "CSIDriver": true, "CSINode": true, "IngressClass": true, "RuntimeClass": true,
	"VolumeAttachment": true, "CertificateSigningRequest": true, "FlowSchema": true,
	"PriorityLevelConfiguration": true, "ClusterTrustBundle": true, "DeviceClass": true,
	"VolumeAttributesClass": true, "IPAddress": true, "ServiceCIDR": true,
}

// Kind returns the object's kind from its TypeMeta, or from its Go type for typed objects read from
// a server (which carry no TypeMeta).
func Kind(o runtime.Object) string {
	if k := o.GetObjectKind().GroupVersionKind().Kind; k != "" {
		return k
	}
	if gvks, _, err := scheme.Scheme.ObjectKinds(o); err == nil && len(gvks) > 0 {
		return gvks[0].Kind
	}
	return reflect.Indirect(reflect.ValueOf(o)).Type().Name()
}

// IsClusterScoped tells whether o is a cluster-scoped object.
func IsClusterScoped(o runtime.Object) bool { return ClusterScopedKinds[Kind(o)] }

// ObjectKey is "Kind/namespace/name", or "Kind/name" for cluster-scoped objects.
func ObjectKey(o runtime.Object) string {
	m, err := meta.Accessor(o)
	if err != nil {
		return Kind(o) + "/?"
	}
	if m.GetNamespace() == "" {
		return Kind(o) + "/" + m.GetName()
	}
	return Kind(o) + "/" + m.GetNamespace() + "/" + m.GetName()
}

// decodeJSON decodes a document already converted to JSON into its registered type, defaulting its
// namespace as decodeManifest does; any error (an unregistered kind included) is returned as is.
func decodeJSON(js []byte, namespace string) (runtime.Object, error) {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	if err != nil {
		return nil, err
	}
	return obj, defaultNamespace(obj, namespace)
}

// defaultNamespace puts a namespaced object that names no namespace into the release namespace, as
// `helm install -n` would.
func defaultNamespace(obj runtime.Object, namespace string) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if acc.GetNamespace() == "" && !IsClusterScoped(obj) {
		acc.SetNamespace(namespace)
	}
	return nil
}

func decodeManifest(m releaseutil.Manifest, namespace string) (runtime.Object, error) {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(m.Content), nil, nil)
	if err != nil {
		if !runtime.IsNotRegisteredError(err) {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(m.Content), &u.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		obj = u
	}
	if err := defaultNamespace(obj, namespace); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	return obj, nil
}

// ServiceAccountsOf returns the ServiceAccounts among objs.
func ServiceAccountsOf(objs []runtime.Object) []*corev1.ServiceAccount {
	return ofType[*corev1.ServiceAccount](objs)
}

// RolesOf returns the Roles among objs.
func RolesOf(objs []runtime.Object) []*rbacv1.Role { return ofType[*rbacv1.Role](objs) }

// ClusterRolesOf returns the ClusterRoles among objs.
func ClusterRolesOf(objs []runtime.Object) []*rbacv1.ClusterRole {
	return ofType[*rbacv1.ClusterRole](objs)
}

// RoleBindingsOf returns the RoleBindings among objs.
func RoleBindingsOf(objs []runtime.Object) []*rbacv1.RoleBinding {
	return ofType[*rbacv1.RoleBinding](objs)
}

// ClusterRoleBindingsOf returns the ClusterRoleBindings among objs.
func ClusterRoleBindingsOf(objs []runtime.Object) []*rbacv1.ClusterRoleBinding {
	return ofType[*rbacv1.ClusterRoleBinding](objs)
}

// ConfigMapsOf returns the ConfigMaps among objs.
func ConfigMapsOf(objs []runtime.Object) []*corev1.ConfigMap { return ofType[*corev1.ConfigMap](objs) }

func ofType[T runtime.Object](objs []runtime.Object) []T {
	var out []T
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// PodTemplate is a pod spec found in a workload, with the workload that holds it.
type PodTemplate struct {
	Owner     string // ObjectKey of the workload
	Namespace string
	Spec      *corev1.PodSpec
}

// PodTemplatesOf returns the pod specs of every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job and CronJob among objs.
func PodTemplatesOf(objs []runtime.Object) []PodTemplate {
	var out []PodTemplate
	for _, o := range objs {
		var spec *corev1.PodSpec
		switch w := o.(type) {
		case *corev1.Pod:
			spec = &w.Spec
		case *appsv1.Deployment:
			spec = &w.Spec.Template.Spec
		case *appsv1.StatefulSet:
			spec = &w.Spec.Template.Spec
		case *appsv1.DaemonSet:
			spec = &w.Spec.Template.Spec
		case *appsv1.ReplicaSet:
			spec = &w.Spec.Template.Spec
		case *batchv1.Job:
			spec = &w.Spec.Template.Spec
		case *batchv1.CronJob:
			spec = &w.Spec.JobTemplate.Spec.Template.Spec
		default:
			continue
		}
		m, _ := meta.Accessor(o)
		out = append(out, PodTemplate{Owner: ObjectKey(o), Namespace: m.GetNamespace(), Spec: spec})
	}
	return out
}
