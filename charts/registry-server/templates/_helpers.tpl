{{/*
registry-server.watchNamespaces: the namespaces the server discovers resources in and is granted in, as a
JSON list; empty means the whole cluster. Feeds both the RBAC and WATCH_NAMESPACE.
Usage: {{ $nss := include "registry-server.watchNamespaces" (dict "context" $) | fromJsonArray }}
*/}}
{{- define "registry-server.watchNamespaces" -}}
{{- include "workload-rbac.scope.namespaces" (dict "context" .context "namespaceScoped" .context.Values.rbac.namespaceScoped "namespaces" .context.Values.rbac.watchNamespaces) -}}
{{- end -}}

{{/*
registry-server.serviceAccountName: the server's ServiceAccount (the library's one name helper).
Usage: {{ include "registry-server.serviceAccountName" (dict "context" $) }}
*/}}
{{- define "registry-server.serviceAccountName" -}}
{{- include "workload-rbac.serviceAccount.name" (dict "context" .context "serviceAccount" .context.Values.serviceAccount "component" "" "valuesPath" "serviceAccount") -}}
{{- end -}}
