{{/*
workload-rbac.subjects.render: a binding's subjects as YAML list items: Groups and Users (for the
bindings a chart prints for platform teams or users) or ServiceAccounts. Fails on an unknown kind, an
empty name, or a ServiceAccount without a namespace.
Usage: subjects:
         {{- include "workload-rbac.subjects.render" (dict "subjects" (list (dict "kind" "Group" "name" "platform-engineers")) "valuesPath" "rbac.userGroups") | nindent 2 }}
Input:
  - subjects - list - Required. Each {kind: Group|User|ServiceAccount, name, namespace (ServiceAccount only)}.
  - valuesPath - string - Optional. Where the subjects come from, for the message.
*/}}
{{- define "workload-rbac.subjects.render" -}}
{{- $path := .valuesPath | default "subjects" -}}
{{- if empty .subjects -}}
{{- fail (printf "workload-rbac: %s is empty: name at least one Group, User or ServiceAccount to bind" $path) -}}
{{- end -}}
{{- range $i, $s := .subjects }}
{{- if not (has $s.kind (list "Group" "User" "ServiceAccount")) -}}
{{- fail (printf "workload-rbac: %s[%d].kind %q is not Group, User or ServiceAccount" $path $i (toString $s.kind)) -}}
{{- end -}}
{{- if or (not (kindIs "string" $s.name)) (empty $s.name) -}}
{{- fail (printf "workload-rbac: %s[%d] (%s) has no name: give the %s name as the authenticator reports it" $path $i $s.kind $s.kind) -}}
{{- end }}
- kind: {{ $s.kind }}
  name: {{ $s.name | quote }}
{{- if eq $s.kind "ServiceAccount" }}
{{- if not $s.namespace -}}
{{- fail (printf "workload-rbac: %s[%d] (ServiceAccount %s) has no namespace" $path $i $s.name) -}}
{{- end }}
  namespace: {{ $s.namespace | quote }}
{{- else }}
  apiGroup: rbac.authorization.k8s.io
{{- end }}
{{- end }}
{{- end -}}
