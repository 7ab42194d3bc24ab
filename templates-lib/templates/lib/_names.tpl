{{/*
workload-rbac.validate.name: fails unless value is a string that Kubernetes accepts as a name of the given
form, naming the value's key and the fix. Forms: "label" (DNS-1123 label: at most 63 lowercase letters,
digits and '-'), "subdomain" (DNS-1123 subdomain: at most 253, '.' allowed between labels) and "release"
(Helm's release-name rule: a subdomain of at most 53 characters).
Usage: {{- include "workload-rbac.validate.name" (dict "value" .Values.serviceAccount.name "valuesPath" "serviceAccount.name" "form" "subdomain") }}
*/}}
{{- define "workload-rbac.validate.name" -}}
{{- $v := .value -}}
{{- if not (kindIs "string" $v) -}}
{{- fail (printf "workload-rbac: %s is %v (%s), not a string: quote it in the values file, or use --set-string" .valuesPath $v (kindOf $v)) -}}
{{- end -}}
{{- if eq .form "label" -}}
{{- if not (regexMatch `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$` $v) -}}
{{- fail (printf "workload-rbac: %s %q is not a valid name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit" .valuesPath $v) -}}
{{- end -}}
{{- else -}}
{{- $max := ternary 53 253 (eq .form "release") -}}
{{- if or (gt (len $v) $max) (not (regexMatch `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$` $v)) -}}
{{- fail (printf "workload-rbac: %s %q is not a valid name: use at most %d lowercase letters, digits, '-' and '.', starting and ending with a letter or digit" .valuesPath $v $max) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.names.name: the chart name, or .Values.nameOverride.
Usage: {{ include "workload-rbac.names.name" (dict "context" $) }}
*/}}
{{- define "workload-rbac.names.name" -}}
{{- $ctx := .context -}}
{{- with $ctx.Values.nameOverride -}}
{{- if not (and (kindIs "string" .) (regexMatch `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$` .)) -}}
{{- include "workload-rbac.validate.name" (dict "value" . "valuesPath" "nameOverride" "form" "label") -}}
{{- end -}}
{{- end -}}
{{- default $ctx.Chart.Name $ctx.Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
workload-rbac.names.fullname: the release-qualified name of the chart's objects, or .Values.fullnameOverride.
Fails on a release name, release namespace or fullnameOverride that Kubernetes would refuse.
Usage: {{ include "workload-rbac.names.fullname" (dict "context" $) }}
*/}}
{{- define "workload-rbac.names.fullname" -}}
{{- $ctx := .context -}}
{{- $rel := $ctx.Release -}}
{{- /* One match proves both names valid; when it fails, validate.name fails with the message. */ -}}
{{- if not (and (kindIs "string" $rel.Name) (le (len $rel.Name) 53) (kindIs "string" $rel.Namespace) (regexMatch `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$` (printf "%s/%s" $rel.Name $rel.Namespace))) -}}
{{- include "workload-rbac.validate.name" (dict "value" $rel.Name "valuesPath" "the release name" "form" "release") -}}
{{- include "workload-rbac.validate.name" (dict "value" $rel.Namespace "valuesPath" "the release namespace" "form" "label") -}}
{{- end -}}
{{- with $ctx.Values.fullnameOverride -}}
{{- if not (and (kindIs "string" .) (regexMatch `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$` .)) -}}
{{- include "workload-rbac.validate.name" (dict "value" . "valuesPath" "fullnameOverride" "form" "label") -}}
{{- end -}}
{{- /* A valid label is at most 63 characters and does not end in '-': nothing to truncate. */ -}}
{{- . -}}
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
Optional: "fullname", the workload-rbac.names.fullname already computed for this context (it is then not
computed, nor validated, again). An empty component gives the fullname. A long fullname is truncated, never the component, so names stay
within 63 characters and "<fullname>-registry-api" never collapses onto "<fullname>" or another component.
*/}}
{{- define "workload-rbac.names.component" -}}
{{- $full := .fullname -}}
{{- if not $full -}}
{{- $full = include "workload-rbac.names.fullname" (dict "context" .context) -}}
{{- end -}}
{{- if .component -}}
{{- $suffix := printf "-%s" .component -}}
{{- printf "%s%s" ($full | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- else -}}
{{- $full -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.names.clusterScoped: the name of a cluster-scoped object (ClusterRole, ClusterRoleBinding).
It carries the release namespace, so two releases of the same name in different namespaces never collide.
At most 127 characters (a namespace of at most 63, "-", a component name of at most 63): always valid.
Usage: {{ include "workload-rbac.names.clusterScoped" (dict "context" $ "component" "registry-api") }}
Optional: "fullname", as for workload-rbac.names.component.
*/}}
{{- define "workload-rbac.names.clusterScoped" -}}
{{- printf "%s-%s" .context.Release.Namespace (include "workload-rbac.names.component" .) -}}
{{- end -}}

{{/*
workload-rbac.serviceAccount.name: the ONE place that decides a workload's ServiceAccount name. The
ServiceAccount, the pod spec, every binding subject and every env var that names the account use it.
Usage: {{ include "workload-rbac.serviceAccount.name" (dict "context" $ "serviceAccount" .Values.serviceAccount "component" "") }}
Input: serviceAccount is the conventional block {create, name, annotations, labels, automountServiceAccountToken}.
Optional: "fullname", as for workload-rbac.names.component.
With create=false a name is required, and a name must be a valid ServiceAccount name other than "default":
binding RBAC to the namespace's "default" account would grant it to every pod that does not name an account.
*/}}
{{- define "workload-rbac.serviceAccount.name" -}}
{{- $sa := .serviceAccount | default dict -}}
{{- $path := .valuesPath | default "serviceAccount" -}}
{{- if $sa.name -}}
{{- if not (and (kindIs "string" $sa.name) (le (len $sa.name) 253) (regexMatch `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$` $sa.name)) -}}
{{- include "workload-rbac.validate.name" (dict "value" $sa.name "valuesPath" (printf "%s.name" $path) "form" "subdomain") -}}
{{- end -}}
{{- if eq $sa.name "default" -}}
{{- fail (printf "workload-rbac: %s.name is \"default\", the account every pod of the namespace that names none runs as: binding RBAC to it grants it to all of them. Name a dedicated ServiceAccount" $path) -}}
{{- end -}}
{{- $sa.name -}}
{{- else if (ne $sa.create false) -}}
{{- include "workload-rbac.names.component" (dict "context" .context "component" .component "fullname" .fullname) -}}
{{- else -}}
{{- fail (printf "workload-rbac: %s.create=false needs %s.name: name the existing ServiceAccount the workload should run as (binding RBAC to \"default\" would grant it to every pod in the namespace)" $path $path) -}}
{{- end -}}
{{- end -}}
