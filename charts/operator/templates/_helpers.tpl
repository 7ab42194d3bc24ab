{{/*
operator.watchNamespaces: the namespaces the operator watches and is granted in, as a JSON list; empty
means the whole cluster. The same list feeds the RBAC and the WATCH_NAMESPACE env var, so the two can
never disagree.
Usage: {{ $nss := include "operator.watchNamespaces" (dict "context" $) | fromJsonArray }}
*/}}
{{- define "operator.watchNamespaces" -}}
{{- include "workload-rbac.scope.namespaces" (dict "context" .context "namespaceScoped" .context.Values.rbac.namespaceScoped "namespaces" .context.Values.rbac.watchNamespaces) -}}
{{- end -}}

{{/*
operator.serviceAccountName: the operator's ServiceAccount (the library's one name helper).
Usage: {{ include "operator.serviceAccountName" (dict "context" $) }}
Optional: "fullname", the workload-rbac.names.fullname already computed (see workload-rbac.names.component).
*/}}
{{- define "operator.serviceAccountName" -}}
{{- include "workload-rbac.serviceAccount.name" (dict "context" .context "serviceAccount" .context.Values.serviceAccount "component" "" "valuesPath" "serviceAccount" "fullname" .fullname) -}}
{{- end -}}

{{/*
operator.registryAPI.serviceAccountName: the ServiceAccount registry API pods run as. The chart renders it
(registryAPI.clusterScoped), the operator creates it in each registry's namespace (runtime RBAC), or a
platform team provides it (rbac.disableWorkloadRBAC); in every mode the operator is told this name.
Usage: {{ include "operator.registryAPI.serviceAccountName" (dict "context" $) }}
Optional: "fullname", as for operator.serviceAccountName.
*/}}
{{- define "operator.registryAPI.serviceAccountName" -}}
{{- include "workload-rbac.serviceAccount.name" (dict "context" .context "serviceAccount" (dict "create" true "name" .context.Values.registryAPI.serviceAccount.name) "component" "registry-api" "valuesPath" "registryAPI.serviceAccount" "fullname" .fullname) -}}
{{- end -}}

{{/*
operator.runtimeRBAC: "true" when the operator creates the registry API's ServiceAccount, Role and
RoleBinding at runtime (workload RBAC on, registry API not cluster-scoped).
Usage: {{ if eq (include "operator.runtimeRBAC" (dict "context" $)) "true" }}
*/}}
{{- define "operator.runtimeRBAC" -}}
{{- and (not .context.Values.rbac.disableWorkloadRBAC) (not .context.Values.registryAPI.clusterScoped) -}}
{{- end -}}

{{/*
operator.validate: fails on contradictory values with a sentence naming the keys and the fix. The same
rules are mirrored in values.schema.json.
Usage: {{- include "operator.validate" (dict "context" $) }}
*/}}
{{- define "operator.validate" -}}
{{- $v := .context.Values -}}
{{- if and $v.rbac.namespaceScoped $v.registryAPI.clusterScoped -}}
{{- fail "rbac.namespaceScoped=true cannot be combined with registryAPI.clusterScoped=true: a namespace-scoped install renders no cluster-scoped object. Set registryAPI.clusterScoped=false (the operator then grants the registry API a Role in each watched namespace) or rbac.namespaceScoped=false." -}}
{{- end -}}
{{- include "workload-rbac.validate.namespaces" (dict "namespaces" $v.rbac.watchNamespaces "valuesPath" "rbac.watchNamespaces") -}}
{{- /* The registry API's rules go into Roles, or a ClusterRole bound per namespace, unless it is cluster-scoped cluster-wide. */ -}}
{{- $namespaced := not (and $v.registryAPI.clusterScoped (empty $v.rbac.watchNamespaces)) -}}
{{- include "workload-rbac.validate.rules" (dict "rules" $v.registryAPI.rules "valuesPath" "registryAPI.rules" "namespaced" $namespaced "required" true) -}}
{{- /* Each name once, and the fullname once for both, computed where the first of them needs it. */ -}}
{{- $full := "" -}}
{{- $sa := $v.serviceAccount | default dict -}}
{{- if and (not $sa.name) (ne $sa.create false) -}}
{{- $full = include "workload-rbac.names.fullname" (dict "context" .context) -}}
{{- end -}}
{{- $saName := include "operator.serviceAccountName" (dict "context" .context "fullname" $full) -}}
{{- if and (not $full) (not $v.registryAPI.serviceAccount.name) -}}
{{- $full = include "workload-rbac.names.fullname" (dict "context" .context) -}}
{{- end -}}
{{- $regSAName := include "operator.registryAPI.serviceAccountName" (dict "context" .context "fullname" $full) -}}
{{- if eq $saName $regSAName -}}
{{- if $v.registryAPI.serviceAccount.name -}}
{{- fail (printf "registryAPI.serviceAccount.name %q is the operator's own ServiceAccount: registry API pods would run with the operator's permissions. Pick another name." $regSAName) -}}
{{- else -}}
{{- fail (printf "serviceAccount.name %q is the registry API's default account name: registry API pods would run with the operator's permissions. Pick another serviceAccount.name, or set registryAPI.serviceAccount.name." $saName) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
operator.rules: the operator's own rules in the namespaces it watches, as a YAML list. Writes on
roles, rolebindings and serviceaccounts, and the registry API's rules (Kubernetes lets it create only
Roles whose rules it holds), are added only when it creates registry API RBAC at runtime.
Usage: {{ $rules := include "operator.rules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "operator.rules" -}}
- why: Reconcile MCPRegistry objects.
  apiGroups: [toolhive.stacklok.dev]
  resources: [mcpregistries]
  verbs: [get, list, watch, update, patch]
- why: Report each registry's status.
  apiGroups: [toolhive.stacklok.dev]
  resources: [mcpregistries/status]
  verbs: [get, update, patch]
- why: Release the finalizer when a registry is deleted.
  apiGroups: [toolhive.stacklok.dev]
  resources: [mcpregistries/finalizers]
  verbs: [update]
{{- if not .context.Values.registryAPI.clusterScoped }}
{{ include "operator.registryWorkloadRules" . }}
{{- end }}
- why: Report reconcile problems on the registry objects.
  apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- if eq (include "operator.runtimeRBAC" .) "true" }}
- why: Create the ServiceAccount each registry API runs as.
  apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get, list, watch, create, update, patch, delete]
- why: Create each registry API's Role and RoleBinding (it must also hold every rule it grants; they follow).
  apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, list, watch, create, update, patch, delete]
{{ toYaml .context.Values.registryAPI.rules }}
{{- end }}
{{- end -}}

{{/*
operator.registryWorkloadRules: what the operator needs where registry API pods run.
Usage: {{ include "operator.registryWorkloadRules" (dict "context" $) }}
*/}}
{{- define "operator.registryWorkloadRules" -}}
- why: Run each registry API.
  apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- why: Expose each registry API and hold its configuration.
  apiGroups: [""]
  resources: [services, configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end -}}

{{/*
operator.selfRules: the operator's rules in its own (release) namespace, whatever it watches: leader
election and, when the registry API is cluster-scoped, running registry API pods there.
Usage: {{ $rules := include "operator.selfRules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "operator.selfRules" -}}
- why: Elect one active operator replica.
  apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, update, patch, delete]
- why: Report leader election events.
  apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- if .context.Values.registryAPI.clusterScoped }}
{{ include "operator.registryWorkloadRules" . }}
{{- end }}
{{- end -}}

{{/*
operator.registryAPI.rbac: the registry API's RBAC when the chart provisions it at install time
(registryAPI.clusterScoped): its ServiceAccount in the release namespace and a ClusterRole bound
cluster-wide, or in each watched namespace. Also printed in NOTES for platform teams when
rbac.disableWorkloadRBAC is set, from the same rules.
Usage: {{ include "operator.registryAPI.rbac" (dict "context" $) }}
Optional: "fullname" (as for operator.serviceAccountName).
*/}}
{{- define "operator.registryAPI.rbac" -}}
{{- $v := .context.Values -}}
{{- include "workload-rbac.render.workload" (dict "context" .context "component" "registry-api" "fullname" .fullname
      "serviceAccount" (dict "create" true "name" (include "operator.registryAPI.serviceAccountName" .) "annotations" $v.registryAPI.serviceAccount.annotations)
      "rules" $v.registryAPI.rules "rulesPath" "registryAPI.rules"
      "namespaceScoped" false "namespaces" $v.rbac.watchNamespaces "namespacesPath" "rbac.watchNamespaces") -}}
{{- end -}}
