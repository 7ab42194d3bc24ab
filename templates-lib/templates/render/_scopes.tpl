{{/*
workload-rbac.render.clusterAndNamespaced: one workload's two rule lists in their two scopes:
  - clusterRules (CRDs read, a cluster-scoped lock or peering object, ...): always a ClusterRole with a
    ClusterRoleBinding, named "<release-namespace>-<fullname>[-component]-cluster";
  - rules (the namespaced ones): follow the watch scope, as workload-rbac.render.rbac does: a ClusterRole
    with a ClusterRoleBinding when namespaces is empty (it watches all), else the ClusterRole bound by a
    RoleBinding in each watched namespace.
A cluster-scoped resource in rules is a render error naming the rule and the fix (move it to
clusterRules); so is a namespace-scoped-only install (namespaceScoped true), since clusterRules need a
ClusterRole.
Usage:
  {{ include "workload-rbac.render.clusterAndNamespaced" (dict "context" $ "component" ""
       "serviceAccountName" $sa
       "clusterRules" $clusterRules "clusterRulesPath" "operator cluster rules"
       "rules" $rules "rulesPath" "operator namespaced rules"
       "namespaces" .Values.rbac.watchNamespaces "namespacesPath" "rbac.watchNamespaces") }}
Input:
  - context - dict - Required. The chart root ($).
  - serviceAccountName - string - Required. The workload's account (workload-rbac.serviceAccount.name).
  - clusterRules, rules - list - Required (may be empty). The two rule lists.
  - namespaces - list - Optional. Watched namespaces; empty means all.
  - clusterScopedResources - list - Optional. The chart's cluster-scoped custom resources, "resource.group".
*/}}
{{- define "workload-rbac.render.clusterAndNamespaced" -}}
{{- if .namespaceScoped -}}
{{- fail (printf "workload-rbac: %s must be rendered as a ClusterRole (cluster-scoped resources need one), so this workload cannot be namespace-scoped: restrict it with %s instead" (.clusterRulesPath | default "clusterRules") (.namespacesPath | default "namespaces")) -}}
{{- end -}}
{{- include "workload-rbac.rules.validateNamespaced" (dict "rules" .rules "valuesPath" (.rulesPath | default "rules") "clusterScopedResources" .clusterScopedResources) -}}
{{- $base := omit . "clusterRules" "clusterRulesPath" "rules" "rulesPath" "namespaces" "namespacesPath" "suffix" -}}
{{ include "workload-rbac.render.rbac" (merge (dict "rules" .clusterRules "rulesPath" (.clusterRulesPath | default "clusterRules") "namespaceScoped" false "namespaces" list "suffix" (compact (list .suffix "cluster") | join "-")) $base) }}
{{ include "workload-rbac.render.rbac" (merge (dict "rules" .rules "rulesPath" (.rulesPath | default "rules") "namespaceScoped" false "namespaces" .namespaces "namespacesPath" .namespacesPath "suffix" .suffix) $base) }}
{{- end -}}

{{/*
workload-rbac.render.grant: the Role or ClusterRole and the bindings that give one rule list to
Groups or Users (subjects), e.g. what a chart prints in NOTES for each user group when the program acts
with its callers' own tokens. Cluster-wide (ClusterRole + ClusterRoleBinding) when namespaces is empty,
else a Role and a RoleBinding in each listed namespace.
Usage:
  {{ include "workload-rbac.render.grant" (dict "context" $ "component" "users-read" "rules" $rules
       "rulesPath" "read rules" "namespaces" .Values.rbac.allowedNamespaces
       "subjects" (list (dict "kind" "Group" "name" "platform-engineers")) "subjectsPath" "auth.userGroups") }}
*/}}
{{- define "workload-rbac.render.grant" -}}
{{- if empty .subjects -}}
{{- fail (printf "workload-rbac: %s is empty: name at least one Group, User or ServiceAccount to bind" (.subjectsPath | default "subjects")) -}}
{{- end -}}
{{- include "workload-rbac.render.rbac" (merge (dict "namespaceScoped" (not (empty .namespaces))) .) -}}
{{- end -}}
