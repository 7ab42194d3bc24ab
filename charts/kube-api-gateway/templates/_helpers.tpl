{{/*
kube-api-gateway.serviceAccountName: the server's ServiceAccount (the library's one name helper).
Usage: {{ include "kube-api-gateway.serviceAccountName" (dict "context" $) }}
*/}}
{{- define "kube-api-gateway.serviceAccountName" -}}
{{- include "workload-rbac.serviceAccount.name" (dict "context" .context "serviceAccount" .context.Values.serviceAccount "component" "" "valuesPath" "serviceAccount") -}}
{{- end -}}

{{/*
kube-api-gateway.validate: fails on contradictory values with a sentence naming the keys and the fix.
Mirrored in values.schema.json.
Usage: {{- include "kube-api-gateway.validate" (dict "context" $) }}
*/}}
{{- define "kube-api-gateway.validate" -}}
{{- $v := .context.Values -}}
{{- if and $v.rbac.clusterWideSecrets $v.rbac.allowedNamespaces -}}
{{- fail (printf "rbac.clusterWideSecrets=true cannot be combined with rbac.allowedNamespaces %v: cluster-wide Secret access already covers every namespace, so the list would promise a limit that does not exist. Empty rbac.allowedNamespaces, or set rbac.clusterWideSecrets=false." $v.rbac.allowedNamespaces) -}}
{{- end -}}
{{- if not (has $v.auth.mode (list "serviceAccount" "userToken")) -}}
{{- fail (printf "auth.mode %q is neither serviceAccount nor userToken" (toString $v.auth.mode)) -}}
{{- end -}}
{{- include "workload-rbac.validate.namespaces" (dict "namespaces" $v.rbac.allowedNamespaces "valuesPath" "rbac.allowedNamespaces") -}}
{{- end -}}

{{/*
kube-api-gateway.readRules: what is read on behalf of users: discovering clusters and reading the
workloads on this cluster. The one source of both the server's ClusterRole and the user groups'.
Usage: {{ $rules := include "kube-api-gateway.readRules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "kube-api-gateway.readRules" -}}
- why: Discover the clusters of the fleet.
  apiGroups: [fleet.workload-rbac.io]
  resources: [clusters]
  verbs: [get, list, watch]
- why: List the namespaces users can pick from.
  apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
- why: Show workloads and their endpoints.
  apiGroups: [""]
  resources: [pods, services, configmaps]
  verbs: [get, list, watch]
{{- end -}}

{{/*
kube-api-gateway.secretRules: reading the clusters' kubeconfig Secrets. Their names are per cluster, so
the rule cannot be pinned: it is an audited exception, granted per allowed namespace or cluster-wide.
Usage: {{ $rules := include "kube-api-gateway.secretRules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "kube-api-gateway.secretRules" -}}
- why: Read the kubeconfig Secret of each cluster.
  apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch]
  allow: [secrets-read]
  {{- if .context.Values.rbac.clusterWideSecrets }}
  reason: "reads the kubeconfig Secrets of the clusters in every namespace (rbac.clusterWideSecrets=true)"
  {{- else }}
  reason: "reads the kubeconfig Secrets of the clusters in the namespaces of rbac.allowedNamespaces only"
  {{- end }}
{{- end -}}

{{/*
kube-api-gateway.rbac: the read grants (cluster-wide) and the Secret grants (per allowed namespace, or
cluster-wide with rbac.clusterWideSecrets), given to the server's ServiceAccount, or, with subjects, to
the user groups (what NOTES print in userToken mode). One rule source, one template, two audiences.
Usage: {{ include "kube-api-gateway.rbac" (dict "context" $ "component" "" "subjects" list) }}
*/}}
{{- define "kube-api-gateway.rbac" -}}
{{- $v := .context.Values -}}
{{- $args := dict "context" .context "component" .component "subjects" .subjects "subjectsPath" "auth.userGroups"
      "serviceAccountName" (include "kube-api-gateway.serviceAccountName" .) }}
{{ include "workload-rbac.render.rbac" (merge (dict "rules" (include "kube-api-gateway.readRules" . | fromYamlArray) "rulesPath" "the read rules" "namespaceScoped" false "namespaces" list) $args) }}
{{- if or $v.rbac.clusterWideSecrets $v.rbac.allowedNamespaces }}
{{ include "workload-rbac.render.rbac" (merge (dict "rules" (include "kube-api-gateway.secretRules" . | fromYamlArray) "rulesPath" "the kubeconfig Secret rules"
      "suffix" "secrets" "namespaceScoped" (not $v.rbac.clusterWideSecrets) "namespaces" $v.rbac.allowedNamespaces "namespacesPath" "rbac.allowedNamespaces") $args) }}
{{- end }}
{{- end -}}

{{/*
kube-api-gateway.userGroupSubjects: auth.userGroups as binding subjects (kind Group).
Usage: {{ $subjects := include "kube-api-gateway.userGroupSubjects" (dict "context" $) | fromJsonArray }}
*/}}
{{- define "kube-api-gateway.userGroupSubjects" -}}
{{- $out := list -}}
{{- range $g := .context.Values.auth.userGroups -}}
{{- $out = append $out (dict "kind" "Group" "name" $g) -}}
{{- end -}}
{{- if empty $out -}}
{{- fail "auth.mode=userToken needs auth.userGroups: name the groups whose members use the server, so the NOTES can print their bindings" -}}
{{- end -}}
{{- $out | toJson -}}
{{- end -}}
