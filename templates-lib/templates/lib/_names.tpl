{{/*
workload-rbac.names.name: the chart name, or .Values.nameOverride.
Usage: {{ include "workload-rbac.names.name" (dict "context" $) }}
*/}}
{{- define "workload-rbac.names.name" -}}
{{- $ctx := .context -}}
{{- default $ctx.Chart.Name $ctx.Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
workload-rbac.names.fullname: the release-qualified name of the chart's objects, or .Values.fullnameOverride.
Usage: {{ include "workload-rbac.names.fullname" (dict "context" $) }}
*/}}
{{- define "workload-rbac.names.fullname" -}}
{{- $ctx := .context -}}
{{- if $ctx.Values.fullnameOverride -}}
{{- $ctx.Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "workload-rbac.names.name" (dict "context" $ctx) -}}
{{- if contains $name $ctx.Release.Name -}}
{{- $ctx.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" $ctx.Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.names.component: the name of a namespaced object of one component ("fullname-component").
Usage: {{ include "workload-rbac.names.component" (dict "context" $ "component" "registry-api") }}
An empty component gives the fullname.
*/}}
{{- define "workload-rbac.names.component" -}}
{{- $full := include "workload-rbac.names.fullname" (dict "context" .context) -}}
{{- if .component -}}
{{- printf "%s-%s" $full .component | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $full -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.names.clusterScoped: the name of a cluster-scoped object (ClusterRole, ClusterRoleBinding).
It carries the release namespace, so two releases of the same name in different namespaces never collide.
Usage: {{ include "workload-rbac.names.clusterScoped" (dict "context" $ "component" "registry-api") }}
*/}}
{{- define "workload-rbac.names.clusterScoped" -}}
{{- $name := printf "%s-%s" .context.Release.Namespace (include "workload-rbac.names.component" .) -}}
{{- if gt (len $name) 253 -}}
{{- fail (printf "workload-rbac: the cluster-scoped name %q is longer than 253 characters; set fullnameOverride to a shorter name" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/*
workload-rbac.serviceAccount.name: the ONE place that decides a workload's ServiceAccount name. The
ServiceAccount, the pod spec, every binding subject and every env var that names the account use it.
Usage: {{ include "workload-rbac.serviceAccount.name" (dict "context" $ "serviceAccount" .Values.serviceAccount "component" "") }}
Input: serviceAccount is the conventional block {create, name, annotations, labels, automountServiceAccountToken}.
With create=false a name is required: binding RBAC to the namespace's "default" account would grant it
to every pod that does not name an account.
*/}}
{{- define "workload-rbac.serviceAccount.name" -}}
{{- $sa := .serviceAccount | default dict -}}
{{- if $sa.name -}}
{{- $sa.name -}}
{{- else if (ne $sa.create false) -}}
{{- include "workload-rbac.names.component" (dict "context" .context "component" .component) -}}
{{- else -}}
{{- fail (printf "workload-rbac: %s.create=false needs %s.name: name the existing ServiceAccount the workload should run as (binding RBAC to \"default\" would grant it to every pod in the namespace)" (.valuesPath | default "serviceAccount") (.valuesPath | default "serviceAccount")) -}}
{{- end -}}
{{- end -}}
