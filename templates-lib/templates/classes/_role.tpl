{{/*
workload-rbac.class.role: a Role (namespace set) or a ClusterRole (kind "ClusterRole") from one rule list.
The same rules include renders both shapes. A rule's optional "why" is rendered as a comment above it;
rules with an audited exception (allow + reason) add the workload-rbac.exceptions.annotations.
Usage: {{ include "workload-rbac.class.role" (dict "context" $ "kind" "Role" "name" $name "namespace" "team-a" "component" "operator" "rules" $rules) }}
*/}}
{{- define "workload-rbac.class.role" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind | quote }}
metadata:
  name: {{ .name | quote }}
  {{- if eq .kind "Role" }}
  namespace: {{ .namespace | quote }}
  {{- end }}
  labels:
    {{- if .labels }}
    {{- .labels | nindent 4 }}
    {{- else }}
    {{- include "workload-rbac.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
    {{- end }}
  {{- with include "workload-rbac.exceptions.annotations" (dict "rules" .rules) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
rules:
  {{- include "workload-rbac.rules.render" (dict "rules" .rules) | trim | nindent 2 }}
{{- end -}}

{{/*
workload-rbac.rules.render: a rule list as YAML list items, each with its "why" as a comment.
Only the five PolicyRule fields are rendered, as JSON. Line breaks in a "why" become spaces, so no value
can end the comment and write YAML (workload-rbac.validate.rules refuses them first).
Usage: rules:
         {{- include "workload-rbac.rules.render" (dict "rules" .rules) | trim | nindent 2 }}
*/}}
{{- define "workload-rbac.rules.render" -}}
{{- range $r := .rules }}
{{- with $r.why }}
# {{ regexReplaceAll `[\r\n\x{85}\x{2028}\x{2029}]+` (toString .) " " }}
{{- end }}
{{- /* The five fields in this order, written out rather than looped over: this runs for every rule of
every role. */}}
{{- $lead := "- " }}
{{- if hasKey $r "apiGroups" }}
{{ $lead }}apiGroups: {{ toJson $r.apiGroups }}
{{- $lead = "  " }}
{{- end }}
{{- if hasKey $r "resources" }}
{{ $lead }}resources: {{ toJson $r.resources }}
{{- $lead = "  " }}
{{- end }}
{{- if hasKey $r "resourceNames" }}
{{ $lead }}resourceNames: {{ toJson $r.resourceNames }}
{{- $lead = "  " }}
{{- end }}
{{- if hasKey $r "nonResourceURLs" }}
{{ $lead }}nonResourceURLs: {{ toJson $r.nonResourceURLs }}
{{- $lead = "  " }}
{{- end }}
{{- if hasKey $r "verbs" }}
{{ $lead }}verbs: {{ toJson $r.verbs }}
{{- end }}
{{- end }}
{{- end -}}
