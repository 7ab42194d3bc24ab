{{/*
workload-rbac.labels.standard: Kubernetes recommended labels plus the component.
Usage: {{ include "workload-rbac.labels.standard" (dict "context" $ "component" "operator") | nindent 4 }}
*/}}
{{- define "workload-rbac.labels.standard" -}}
{{- $ctx := .context -}}
helm.sh/chart: {{ printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
{{ include "workload-rbac.labels.selector" . }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service | quote }}
{{- with $ctx.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
workload-rbac.labels.selector: the immutable subset used in selectors.
Usage: {{ include "workload-rbac.labels.selector" (dict "context" $ "component" "operator") | nindent 6 }}
*/}}
{{- define "workload-rbac.labels.selector" -}}
app.kubernetes.io/name: {{ include "workload-rbac.names.name" (dict "context" .context) | quote }}
app.kubernetes.io/instance: {{ .context.Release.Name | quote }}
{{- with .component }}
app.kubernetes.io/component: {{ . | quote }}
{{- end }}
{{- end -}}
