{{/*
workload-rbac.class.serviceAccount: one ServiceAccount. Token automount is off unless the values turn it
on: pods that talk to the API mount a projected, expiring token instead
(see workload-rbac.pod.apiTokenVolume).
Usage: {{ include "workload-rbac.class.serviceAccount" (dict "context" $ "name" $saName "namespace" $ns "component" "operator" "serviceAccount" .Values.serviceAccount) }}
*/}}
{{- define "workload-rbac.class.serviceAccount" -}}
{{- $sa := .serviceAccount | default dict -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name | quote }}
  namespace: {{ .namespace | default .context.Release.Namespace | quote }}
  labels:
    {{- include "workload-rbac.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
    {{- with $sa.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $sa.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ $sa.automountServiceAccountToken | default false }}
{{- end -}}
