{{/*
workload-rbac.class.serviceAccount: one ServiceAccount. Token automount is off unless the values turn it
on: pods that talk to the API mount a projected, expiring token instead
(see workload-rbac.pod.apiTokenVolume).
Usage: {{ include "workload-rbac.class.serviceAccount" (dict "context" $ "name" $saName "namespace" $ns "component" "operator" "serviceAccount" .Values.serviceAccount) }}
*/}}
{{- define "workload-rbac.class.serviceAccount" -}}
{{- $sa := .serviceAccount | default dict -}}
{{- if and (hasKey $sa "automountServiceAccountToken") (not (kindIs "bool" $sa.automountServiceAccountToken)) -}}
{{- fail (printf "workload-rbac: automountServiceAccountToken is %v (%s), not true or false: write a boolean (false keeps the legacy token unmounted)" $sa.automountServiceAccountToken (kindOf $sa.automountServiceAccountToken)) -}}
{{- end -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name | quote }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  labels:
    {{- if .labels }}
    {{- .labels | nindent 4 }}
    {{- else }}
    {{- include "workload-rbac.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
    {{- end }}
    {{- with $sa.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $sa.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ $sa.automountServiceAccountToken | default false }}
{{- end -}}
