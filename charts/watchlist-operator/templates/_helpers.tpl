{{/*
watchlist-operator.serviceAccountName: the operator's ServiceAccount (the library's one name helper).
Usage: {{ include "watchlist-operator.serviceAccountName" (dict "context" $) }}
*/}}
{{- define "watchlist-operator.serviceAccountName" -}}
{{- include "workload-rbac.serviceAccount.name" (dict "context" .context "serviceAccount" .context.Values.serviceAccount "component" "" "valuesPath" "serviceAccount") -}}
{{- end -}}

{{/*
watchlist-operator.validate: fails on values the operator cannot run with, naming the key and the fix.
Mirrored in values.schema.json.
Usage: {{- include "watchlist-operator.validate" (dict "context" $) }}
*/}}
{{- define "watchlist-operator.validate" -}}
{{- if .context.Values.rbac.namespaceScoped -}}
{{- fail "rbac.namespaceScoped=true is not supported: the operator watches its CRDs (cluster-scoped) and elects its leader through a cluster-scoped ClusterPeering, which only a ClusterRole can grant. Keep rbac.namespaceScoped=false and restrict the namespaces it watches with rbac.watchNamespaces (its namespaced rules are then bound only there)." -}}
{{- end -}}
{{- end -}}

{{/*
watchlist-operator.clusterRules: the rules the operator needs cluster-wide whatever it watches.
Usage: {{ $rules := include "watchlist-operator.clusterRules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "watchlist-operator.clusterRules" -}}
- why: Discover its CRDs and wait until they are established.
  apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch]
- why: Elect one active operator replica through the cluster-scoped peering object.
  apiGroups: [peering.workload-rbac.io]
  resources: [clusterpeerings]
  verbs: [get, list, watch, create, update, patch]
{{- end -}}

{{/*
watchlist-operator.rules: the operator's namespaced rules, bound where it watches.
Usage: {{ $rules := include "watchlist-operator.rules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "watchlist-operator.rules" -}}
- why: Reconcile Realm objects.
  apiGroups: [idp.workload-rbac.io]
  resources: [realms]
  verbs: [get, list, watch, update, patch]
- why: Report each realm's status.
  apiGroups: [idp.workload-rbac.io]
  resources: [realms/status]
  verbs: [get, update, patch]
- why: Run one identity server per realm.
  apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
  allow: [workload-create]
  reason: "runs one identity server Deployment per Realm in the namespaces it watches"
- why: Expose each identity server and hold its configuration.
  apiGroups: [""]
  resources: [services, configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- why: Report reconcile problems on the realms.
  apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/*
watchlist-operator.watchNamespaces: the namespaces the operator watches, as a JSON list (empty: all).
It feeds both WATCH_NAMESPACES and the namespaced bindings, so the two cannot disagree.
Usage: {{ $nss := include "watchlist-operator.watchNamespaces" (dict "context" $) | fromJsonArray }}
*/}}
{{- define "watchlist-operator.watchNamespaces" -}}
{{- include "workload-rbac.scope.namespaces" (dict "context" .context "namespaceScoped" false "namespaces" .context.Values.rbac.watchNamespaces) -}}
{{- end -}}
