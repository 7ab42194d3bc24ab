{{/*
workload-rbac.class.binding: a RoleBinding (namespace set) or a ClusterRoleBinding (kind
"ClusterRoleBinding") that grants roleKind/roleName to one ServiceAccount, or to "subjects" (Groups,
Users; see workload-rbac.subjects.render) when given.
Usage: {{ include "workload-rbac.class.binding" (dict "context" $ "kind" "RoleBinding" "name" $name "namespace" "team-a" "roleKind" "ClusterRole" "roleName" $role "serviceAccountName" $sa "serviceAccountNamespace" $.Release.Namespace "component" "operator") }}
*/}}
{{- define "workload-rbac.class.binding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind | quote }}
metadata:
  name: {{ .name | quote }}
  {{- if eq .kind "RoleBinding" }}
  namespace: {{ .namespace | quote }}
  {{- end }}
  labels:
    {{- if .labels }}
    {{- .labels | nindent 4 }}
    {{- else }}
    {{- include "workload-rbac.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
    {{- end }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .roleKind | quote }}
  name: {{ .roleName | quote }}
subjects:
  {{- if .subjects }}
  {{- include "workload-rbac.subjects.render" (dict "subjects" .subjects "valuesPath" .subjectsPath) | trim | nindent 2 }}
  {{- else }}
  - kind: ServiceAccount
    name: {{ .serviceAccountName | quote }}
    namespace: {{ .serviceAccountNamespace | quote }}
  {{- end }}
{{- end -}}
