{{/*
workload-rbac.rules.clusterScopedResources: the built-in cluster-scoped resources, as a JSON list of
"resource" (core group) or "resource.group". A Role, or a ClusterRole bound by a RoleBinding, grants
nothing on them.
Usage: {{ $cs := include "workload-rbac.rules.clusterScopedResources" (dict) | fromJsonArray }}
*/}}
{{- define "workload-rbac.rules.clusterScopedResources" -}}
{{- list
  "nodes" "namespaces" "persistentvolumes" "componentstatuses"
  "customresourcedefinitions.apiextensions.k8s.io" "apiservices.apiregistration.k8s.io"
  "clusterroles.rbac.authorization.k8s.io" "clusterrolebindings.rbac.authorization.k8s.io"
  "storageclasses.storage.k8s.io" "csidrivers.storage.k8s.io" "csinodes.storage.k8s.io" "volumeattachments.storage.k8s.io"
  "priorityclasses.scheduling.k8s.io" "ingressclasses.networking.k8s.io" "runtimeclasses.node.k8s.io"
  "validatingwebhookconfigurations.admissionregistration.k8s.io" "mutatingwebhookconfigurations.admissionregistration.k8s.io"
  "validatingadmissionpolicies.admissionregistration.k8s.io" "validatingadmissionpolicybindings.admissionregistration.k8s.io"
  "certificatesigningrequests.certificates.k8s.io" "tokenreviews.authentication.k8s.io"
  "subjectaccessreviews.authorization.k8s.io" "selfsubjectaccessreviews.authorization.k8s.io" "selfsubjectrulesreviews.authorization.k8s.io"
  "flowschemas.flowcontrol.apiserver.k8s.io" "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io"
  | toJson -}}
{{- end -}}

{{/*
workload-rbac.rules.validateNamespaced: fails when a rule list that will be granted per namespace (a
Role, or a ClusterRole bound by RoleBindings) names a cluster-scoped resource or a non-resource URL:
Kubernetes would silently grant nothing there. The message names the rule and the fix.
Usage: {{- include "workload-rbac.rules.validateNamespaced" (dict "rules" $rules "valuesPath" "rbac.rules" "clusterScopedResources" (list "clusterpeerings.example.io")) }}
Input:
  - rules - list - Required. The rules.
  - valuesPath - string - Required. Where they come from, for the message.
  - clusterScopedResources - list - Optional. The chart's own cluster-scoped custom resources, as "resource.group".
*/}}
{{- define "workload-rbac.rules.validateNamespaced" -}}
{{- $cs := concat (include "workload-rbac.rules.clusterScopedResources" (dict) | fromJsonArray) (.clusterScopedResources | default list) -}}
{{- $csJSON := toJson $cs -}}
{{- range $i, $r := .rules -}}
{{- if $r.nonResourceURLs -}}
{{- fail (printf "workload-rbac: %s[%d] grants nonResourceURLs %v in a rule list rendered per namespace, where they grant nothing: move the rule to the cluster rules (clusterRules of workload-rbac.render.clusterAndNamespaced)" $.valuesPath $i $r.nonResourceURLs) -}}
{{- end -}}
{{- range $g := ($r.apiGroups | default list) -}}
{{- range $res := ($r.resources | default list) -}}
{{- $key := regexReplaceAll "/.*$" $res "" -}}
{{- if not (eq $g "") -}}
{{- $key = printf "%s.%s" $key $g -}}
{{- end -}}
{{- /* has compares with every entry; a substring search of their JSON rules most keys out first. */ -}}
{{- if and (or (not $csJSON) (contains (toJson $key) $csJSON)) (has $key $cs) -}}
{{- fail (printf "workload-rbac: %s[%d] grants %s, which is cluster-scoped, in a rule list rendered as a Role (or a ClusterRole bound per namespace), where it grants nothing: move the rule to the cluster rules, rendered as a ClusterRole with a ClusterRoleBinding (clusterRules of workload-rbac.render.clusterAndNamespaced)" $.valuesPath $i $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
