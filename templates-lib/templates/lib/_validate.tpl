{{/*
workload-rbac.validate.namespaces: fails unless every entry is a valid, unique namespace name.
Usage: {{- include "workload-rbac.validate.namespaces" (dict "namespaces" .Values.rbac.watchNamespaces "valuesPath" "rbac.watchNamespaces") }}
*/}}
{{- define "workload-rbac.validate.namespaces" -}}
{{- $seen := dict -}}
{{- range $i, $ns := (.namespaces | default list) -}}
{{- if not (kindIs "string" $ns) -}}
{{- fail (printf "workload-rbac: %s[%d] is %v, not a string: list namespace names, e.g. [team-a, team-b]" $.valuesPath $i $ns) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $ns) -}}
{{- fail (printf "workload-rbac: %s[%d] %q is not a valid namespace name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit" $.valuesPath $i $ns) -}}
{{- end -}}
{{- if hasKey $seen $ns -}}
{{- fail (printf "workload-rbac: %s lists namespace %q twice: remove the duplicate" $.valuesPath $ns) -}}
{{- end -}}
{{- $_ := set $seen $ns true -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.validate.rules: fails on any rule that breaks the library's least-privilege policy:
wildcards, the escalate/bind/impersonate verbs, writes on ClusterRoles/ClusterRoleBindings, and secrets
not pinned by resourceNames (cluster-wide secret access must be asked for by name).
Usage: {{- include "workload-rbac.validate.rules" (dict "rules" $rules "valuesPath" "registryAPI.rules") }}
*/}}
{{- define "workload-rbac.validate.rules" -}}
{{- $path := .valuesPath -}}
{{- if not (kindIs "slice" .rules) -}}
{{- fail (printf "workload-rbac: %s must be a list of RBAC rules ({apiGroups, resources, verbs}), got %v" $path .rules) -}}
{{- end -}}
{{- include "workload-rbac.exceptions.validate" (dict "rules" .rules "valuesPath" $path) -}}
{{- range $i, $r := .rules -}}
{{- $where := printf "%s[%d]" $path $i -}}
{{- if not $r.verbs -}}
{{- fail (printf "workload-rbac: %s has no verbs: list the verbs the workload needs, e.g. [get, list, watch]" $where) -}}
{{- end -}}
{{- if and (not $r.resources) (not $r.nonResourceURLs) -}}
{{- fail (printf "workload-rbac: %s names no resources: add resources (and apiGroups) or nonResourceURLs" $where) -}}
{{- end -}}
{{- range $field := list "apiGroups" "resources" "verbs" "resourceNames" "nonResourceURLs" -}}
{{- if has "*" (get $r $field | default list) -}}
{{- fail (printf "workload-rbac: %s.%s contains the wildcard \"*\": list each one explicitly (least privilege)" $where $field) -}}
{{- end -}}
{{- end -}}
{{- range $verb := $r.verbs -}}
{{- if has $verb (list "escalate" "bind" "impersonate") -}}
{{- fail (printf "workload-rbac: %s grants the verb %q, which lets its holder gain permissions it was not given: remove it" $where $verb) -}}
{{- end -}}
{{- end -}}
{{- $rbacGroup := has "rbac.authorization.k8s.io" ($r.apiGroups | default list) -}}
{{- $writes := list "create" "update" "patch" "delete" "deletecollection" -}}
{{- range $res := ($r.resources | default list) -}}
{{- if and $rbacGroup (has $res (list "clusterroles" "clusterrolebindings")) -}}
{{- range $verb := $r.verbs -}}
{{- if has $verb $writes -}}
{{- fail (printf "workload-rbac: %s grants %q on %s: a workload must not write cluster-wide RBAC; provision ClusterRoles at install time with this library instead" $where $verb $res) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq $res "secrets") (has "" ($r.apiGroups | default list)) (not $r.resourceNames) (not (has "secrets-read" ($r.allow | default list))) -}}
{{- fail (printf "workload-rbac: %s grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason" $where) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.scope.namespaces: the namespaces a workload's grants are rendered in, as a JSON list.
An empty list means cluster-wide (only possible when namespaceScoped is false).
Usage: {{ $nss := include "workload-rbac.scope.namespaces" (dict "context" $ "namespaceScoped" .Values.rbac.namespaceScoped "namespaces" .Values.rbac.watchNamespaces) | fromJsonArray }}
*/}}
{{- define "workload-rbac.scope.namespaces" -}}
{{- $nss := .namespaces | default list -}}
{{- if and .namespaceScoped (empty $nss) -}}
{{- $nss = list .context.Release.Namespace -}}
{{- end -}}
{{- $nss | toJson -}}
{{- end -}}
