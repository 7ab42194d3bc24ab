{{/*
workload-rbac.render.rbac: validates, then emits the grants of one rule list to one ServiceAccount in the
scope asked for:
  - namespaces empty, namespaceScoped false: ClusterRole + ClusterRoleBinding (cluster-wide);
  - namespaces listed, namespaceScoped false: ClusterRole + a RoleBinding in each listed namespace
    (the rules are defined once; they grant only in the listed namespaces);
  - namespaceScoped true: a Role + RoleBinding in each listed namespace, or in the release namespace
    when none is listed. No cluster-scoped object is rendered.
Usage:
  {{ include "workload-rbac.render.rbac" (dict "context" $ "component" "operator" "rules" $rules
       "rulesPath" "operator.rules" "namespaceScoped" .Values.rbac.namespaceScoped
       "namespaces" .Values.rbac.watchNamespaces "namespacesPath" "rbac.watchNamespaces"
       "serviceAccountName" $sa) }}
Optional: "serviceAccountNamespace" (default the release namespace), "suffix" (appended to the object
names, e.g. "leader-election"), "rulesRequired" (true: an empty rule list is an error, not "no RBAC"),
"subjects" (Groups/Users bound instead of the ServiceAccount, see
workload-rbac.subjects.render), "clusterScopedResources" (the chart's cluster-scoped custom resources,
"resource.group": they may not appear in rules granted per namespace), "fullname" (the
workload-rbac.names.fullname already computed for this context, so it is not computed again).
The rules and namespaces are validated on every call: no argument skips the library's policy.
*/}}
{{- define "workload-rbac.render.rbac" -}}
{{- $ctx := .context -}}
{{- include "workload-rbac.validate.rules" (dict "rules" .rules "valuesPath" (.rulesPath | default "rules") "namespaced" (or .namespaceScoped (not (empty .namespaces))) "required" .rulesRequired) -}}
{{- include "workload-rbac.validate.namespaces" (dict "namespaces" .namespaces "valuesPath" (.namespacesPath | default "namespaces")) -}}
{{- if or .namespaceScoped .namespaces -}}
{{- include "workload-rbac.rules.validateNamespaced" (dict "rules" .rules "valuesPath" (.rulesPath | default "rules") "clusterScopedResources" .clusterScopedResources) -}}
{{- end -}}
{{- if .rules -}}
{{- /* Names and labels are computed once here (in the order the objects below would compute them) and
passed to every object. */ -}}
{{- $full := .fullname -}}
{{- if not $full -}}
{{- $full = include "workload-rbac.names.fullname" (dict "context" $ctx) -}}
{{- end -}}
{{- $nameArgs := dict "context" $ctx "component" (compact (list .component .suffix) | join "-") "fullname" $full -}}
{{- $nss := include "workload-rbac.scope.namespaces" (dict "context" $ctx "namespaceScoped" .namespaceScoped "namespaces" .namespaces) | fromJsonArray -}}
{{- $name := include "workload-rbac.names.component" $nameArgs -}}
{{- $roleName := $name -}}
{{- if not .namespaceScoped -}}
{{- $roleName = include "workload-rbac.names.clusterScoped" $nameArgs -}}
{{- end -}}
{{- $labels := include "workload-rbac.labels.standard" (dict "context" $ctx "component" .component) -}}
{{- $common := dict "context" $ctx "component" .component "labels" $labels "serviceAccountName" .serviceAccountName "serviceAccountNamespace" (.serviceAccountNamespace | default $ctx.Release.Namespace) "subjects" .subjects "subjectsPath" .subjectsPath -}}
{{- if .namespaceScoped -}}
{{- range $ns := $nss }}
---
{{ include "workload-rbac.class.role" (dict "context" $ctx "kind" "Role" "name" $name "namespace" $ns "component" $common.component "labels" $labels "rules" $.rules) }}
---
{{ include "workload-rbac.class.binding" (merge (dict "kind" "RoleBinding" "name" $name "namespace" $ns "roleKind" "Role" "roleName" $name) $common) }}
{{- end }}
{{- else }}
---
{{ include "workload-rbac.class.role" (dict "context" $ctx "kind" "ClusterRole" "name" $roleName "component" $common.component "labels" $labels "rules" .rules) }}
{{- if empty $nss }}
---
{{ include "workload-rbac.class.binding" (merge (dict "kind" "ClusterRoleBinding" "name" $roleName "roleKind" "ClusterRole" "roleName" $roleName) $common) }}
{{- else }}
{{- range $ns := $nss }}
---
{{ include "workload-rbac.class.binding" (merge (dict "kind" "RoleBinding" "name" $name "namespace" $ns "roleKind" "ClusterRole" "roleName" $roleName) $common) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.render.workload: a workload's ServiceAccount (when serviceAccount.create is not false)
followed by its RBAC (when renderRBAC is not false), all named by the one ServiceAccount-name helper.
Usage:
  {{ include "workload-rbac.render.workload" (dict "context" $ "component" ""
       "serviceAccount" .Values.serviceAccount "serviceAccountPath" "serviceAccount"
       "rules" .Values.rbac.rules "rulesPath" "rbac.rules"
       "namespaceScoped" .Values.rbac.namespaceScoped "namespaces" .Values.rbac.watchNamespaces
       "namespacesPath" "rbac.watchNamespaces" "renderRBAC" (not .Values.rbac.disableWorkloadRBAC)) }}
*/}}
{{- define "workload-rbac.render.workload" -}}
{{- $ctx := .context -}}
{{- $sa := .serviceAccount | default dict -}}
{{- /* When the account is named after the workload, the fullname is the first thing computed: compute it
here, once, for the account and for the RBAC. */ -}}
{{- $full := .fullname -}}
{{- if and (not $full) (not $sa.name) (ne $sa.create false) -}}
{{- $full = include "workload-rbac.names.fullname" (dict "context" $ctx) -}}
{{- end -}}
{{- $saName := include "workload-rbac.serviceAccount.name" (dict "context" $ctx "serviceAccount" $sa "component" .component "valuesPath" .serviceAccountPath "fullname" $full) -}}
{{- if ne $sa.create false }}
---
{{ include "workload-rbac.class.serviceAccount" (dict "context" $ctx "name" $saName "component" .component "serviceAccount" $sa) }}
{{- end }}
{{- if ne .renderRBAC false }}
{{ include "workload-rbac.render.rbac" (merge (dict "serviceAccountName" $saName "fullname" $full) .) }}
{{- end }}
{{- end -}}
