{{/*
workload-rbac.pod.apiTokenVolume: a projected volume with an expiring, audience-bound ServiceAccount
token, the cluster CA and the namespace, laid out like the automounted one, for pods whose
ServiceAccount has automountServiceAccountToken: false.
Usage: volumes:
         {{- include "workload-rbac.pod.apiTokenVolume" (dict "expirationSeconds" 3600) | nindent 8 }}
*/}}
{{- define "workload-rbac.pod.apiTokenVolume" -}}
{{- $exp := int (.expirationSeconds | default 3600) -}}
{{- if or (lt $exp 600) (gt $exp 86400) -}}
{{- fail (printf "workload-rbac: the API token's expirationSeconds %d is outside 600..86400: pick a lifetime between 10 minutes and one day (3600 is usual)" $exp) -}}
{{- end -}}
- name: kube-api-access
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: {{ $exp }}
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- end -}}

{{/*
workload-rbac.pod.apiTokenVolumeMount: mounts workload-rbac.pod.apiTokenVolume where client libraries
look for the in-cluster token.
Usage: volumeMounts:
         {{- include "workload-rbac.pod.apiTokenVolumeMount" (dict) | nindent 12 }}
*/}}
{{- define "workload-rbac.pod.apiTokenVolumeMount" -}}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end -}}
