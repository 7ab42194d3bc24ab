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
workload-rbac.validate.rules: fails on any rule that Kubernetes would refuse or that breaks the library's
least-privilege policy, naming the rule and the fix:
  - shape: a list of maps whose fields are lists of strings, a one-line string "why" (it is rendered as
    a comment), verbs, resources with apiGroups or nonResourceURLs alone (Kubernetes refuses a rule
    mixing them), nonResourceURLs only where a ClusterRole is bound cluster-wide ("namespaced" true:
    the rules go into Roles, or into a ClusterRole bound by RoleBindings, which grant no URL);
  - policy: no wildcard anywhere (a bare star, or one hidden in a subresource), no escalate/bind/impersonate, no writes on
    ClusterRoles/ClusterRoleBindings, Secrets only pinned by resourceNames, and resourceNames only with
    verbs they restrict (not list, watch, create or deletecollection).
"required" true also refuses an empty list.
Usage: {{- include "workload-rbac.validate.rules" (dict "rules" $rules "valuesPath" "registryAPI.rules" "namespaced" true "required" true) }}
*/}}
{{- define "workload-rbac.validate.rules" -}}
{{- $path := .valuesPath | default "rules" -}}
{{- if not (kindIs "slice" .rules) -}}
{{- fail (printf "workload-rbac: %s must be a list of RBAC rules ({apiGroups, resources, verbs}), got %v" $path .rules) -}}
{{- end -}}
{{- if and .required (empty .rules) -}}
{{- fail (printf "workload-rbac: %s is empty: list the rules the workload needs, e.g. {apiGroups: [\"\"], resources: [configmaps], verbs: [get]}" $path) -}}
{{- end -}}
{{- $namespaced := .namespaced -}}
{{- include "workload-rbac.exceptions.validate" (dict "rules" .rules "valuesPath" $path) -}}
{{- /* Plain rules (workload-rbac.rules.plainPattern) that name none of the verbs and resources the policy
checks look for pass every check below: first the whole list, then each rule, is matched, and only a rule
that is not one goes through the checks. */ -}}
{{- $plain := include "workload-rbac.rules.plainPattern" (dict) -}}
{{- $json := toJson .rules -}}
{{- if not (and (regexMatch (printf "^\\[(?:%s,?)*\\]$" $plain) $json) (not (include "workload-rbac.rules.risky" (dict "json" $json)))) -}}
{{- range $i, $r := .rules -}}
{{- $rule := toJson $r -}}
{{- if not (and (regexMatch (printf "^%s$" $plain) $rule) (not (include "workload-rbac.rules.risky" (dict "json" $rule)))) -}}
{{- if not (kindIs "map" $r) -}}
{{- fail (printf "workload-rbac: %s[%d] is %v, not a rule: write a map {apiGroups, resources, verbs}" $path $i $r) -}}
{{- end -}}
{{- if hasKey $r "why" -}}
{{- if not (kindIs "string" $r.why) -}}
{{- fail (printf "workload-rbac: %s[%d].why is %v, not a string: quote it" $path $i $r.why) -}}
{{- end -}}
{{- if regexMatch `[\r\n\x{85}\x{2028}\x{2029}]` $r.why -}}
{{- fail (printf "workload-rbac: %s[%d].why contains a line break, which would end its YAML comment: write the reason on one line" $path $i) -}}
{{- end -}}
{{- end -}}
{{- range $field := list "apiGroups" "resources" "resourceNames" "nonResourceURLs" "verbs" -}}
{{- if hasKey $r $field -}}
{{- $items := get $r $field -}}
{{- if not (kindIs "slice" $items) -}}
{{- fail (printf "workload-rbac: %s[%d].%s is %v, not a list: write it as a list, e.g. %s: [%v]" $path $i $field $items $field $items) -}}
{{- end -}}
{{- range $j, $item := $items -}}
{{- /* A non-empty string without "*" (or the core group "") passes every check of this loop. */ -}}
{{- if not (and (kindIs "string" $item) (not (contains "*" $item)) (or (ne $item "") (eq $field "apiGroups"))) -}}
{{- $where := printf "%s[%d]" $path $i -}}
{{- if not (kindIs "string" $item) -}}
{{- fail (printf "workload-rbac: %s.%s[%d] is %v, not a string: quote it" $where $field $j $item) -}}
{{- end -}}
{{- if and (eq $item "") (ne $field "apiGroups") -}}
{{- fail (printf "workload-rbac: %s.%s[%d] is empty: remove it (only apiGroups has an empty entry, the core group \"\")" $where $field $j) -}}
{{- end -}}
{{- if eq $item "*" -}}
{{- fail (printf "workload-rbac: %s.%s contains the wildcard \"*\": list each one explicitly (least privilege)" $where $field) -}}
{{- else if and (eq $field "resources") (hasSuffix "/*" $item) (not (hasPrefix "*" $item)) -}}
{{- fail (printf "workload-rbac: %s.%s[%d] %q matches no request: Kubernetes has no per-resource subresource wildcard; list the subresources the workload needs by name, e.g. %s/status" $where $field $j $item (trimSuffix "/*" $item)) -}}
{{- else if or (and (eq $field "resources") (hasPrefix "*/" $item)) (and (eq $field "nonResourceURLs") (hasSuffix "*" $item)) -}}
{{- fail (printf "workload-rbac: %s.%s[%d] %q hides the wildcard \"*\": list each one explicitly (least privilege)" $where $field $j $item) -}}
{{- else if contains "*" $item -}}
{{- fail (printf "workload-rbac: %s.%s[%d] %q is not a pattern: Kubernetes compares %s literally, so it grants nothing but that exact string: list each one explicitly" $where $field $j $item $field) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $r.verbs -}}
{{- fail (printf "workload-rbac: %s[%d] has no verbs: list the verbs the workload needs, e.g. [get, list, watch]" $path $i) -}}
{{- end -}}
{{- if $r.nonResourceURLs -}}
{{- if or $r.apiGroups $r.resources $r.resourceNames -}}
{{- fail (printf "workload-rbac: %s[%d] mixes nonResourceURLs with apiGroups, resources or resourceNames, which Kubernetes refuses in one rule: split it into two rules" $path $i) -}}
{{- end -}}
{{- if $namespaced -}}
{{- fail (printf "workload-rbac: %s[%d] has nonResourceURLs, which only a ClusterRole bound cluster-wide grants (Kubernetes refuses them in a Role; a RoleBinding ignores them): remove them from %s" $path $i $path) -}}
{{- end -}}
{{- else if not $r.resources -}}
{{- fail (printf "workload-rbac: %s[%d] names no resources: add resources (and apiGroups) or nonResourceURLs" $path $i) -}}
{{- else if not $r.apiGroups -}}
{{- fail (printf "workload-rbac: %s[%d] lists resources without apiGroups, which Kubernetes refuses: add apiGroups ([\"\"] is the core group of pods, services, configmaps...)" $path $i) -}}
{{- end -}}
{{- /* The verb and resource checks below can only fail on a pinned rule, or on a rule that names one of
these verbs or resources. */ -}}
{{- if or $r.resourceNames (has "escalate" $r.verbs) (has "bind" $r.verbs) (has "impersonate" $r.verbs) (has "secrets" $r.resources) (has "clusterroles" $r.resources) (has "clusterrolebindings" $r.resources) -}}
{{- $where := printf "%s[%d]" $path $i -}}
{{- range $verb := $r.verbs -}}
{{- if has $verb (list "escalate" "bind" "impersonate") -}}
{{- fail (printf "workload-rbac: %s grants the verb %q, which lets its holder gain permissions it was not given: remove it" $where $verb) -}}
{{- end -}}
{{- if and $r.resourceNames (has $verb (list "list" "watch" "create" "deletecollection")) -}}
{{- fail (printf "workload-rbac: %s pins resourceNames but grants %q, which resourceNames do not restrict to those names: move %q to a rule without resourceNames, or drop it" $where $verb $verb) -}}
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
{{- if and (eq $res "secrets") (has "" ($r.apiGroups | default list)) (not $r.resourceNames) -}}
{{- range $verb := $r.verbs -}}
{{- if and (has $verb $writes) (not (has "secrets-write" ($r.allow | default list))) -}}
{{- fail (printf "workload-rbac: %s grants %q on every Secret: pin the Secrets it changes with resourceNames (create cannot be pinned: drop it), or make it an audited exception with allow: [secrets-write] and a reason" $where $verb) -}}
{{- end -}}
{{- end -}}
{{- $readsToo := false -}}
{{- range $verb := $r.verbs -}}{{- if not (has $verb $writes) -}}{{- $readsToo = true -}}{{- end -}}{{- end -}}
{{- if and $readsToo (not (has "secrets-read" ($r.allow | default list))) -}}
{{- fail (printf "workload-rbac: %s grants access to every Secret: pin the Secrets it needs with resourceNames, or make it an audited exception with allow: [secrets-read] and a reason" $where) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.rules.plainPattern: a regular expression (without anchors) matching the toJson of one plain
rule: a map of apiGroups, resources and verbs, each a non-empty list of strings with no "*" and no
character JSON escapes (no empty entry but the core group ""), and optionally a why on one line and an
allow/reason pair (checked by workload-rbac.exceptions.validate). Such a rule passes every shape check of
workload-rbac.validate.rules. Written so that each character decides the next step (a one-pass match).
Usage: {{ $ok := regexMatch (printf "^%s$" (include "workload-rbac.rules.plainPattern" (dict))) (toJson $rule) }}
*/}}
{{- define "workload-rbac.rules.plainPattern" -}}
\{"a(?:llow":\[[^\]]*\],"a)?piGroups":\["[^"*\\]*"(?:,"[^"*\\]*")*\],"re(?:ason":"(?:[^"\\]|\\.)*","re)?sources":\["[^"*\\]+"(?:,"[^"*\\]+")*\],"verbs":\["[^"*\\]+"(?:,"[^"*\\]+")*\](?:,"why":"[^"\\\x{85}]*")?\}
{{- end -}}

{{/*
workload-rbac.rules.risky: "true" when a rule list's (or one rule's) toJson names a verb or resource the
policy checks of workload-rbac.validate.rules look for (escalate, bind, impersonate, secrets, clusterroles,
clusterrolebindings), else empty. A plain rule without them passes those checks.
Usage: {{ if include "workload-rbac.rules.risky" (dict "json" (toJson $rules)) }}
*/}}
{{- define "workload-rbac.rules.risky" -}}
{{- $j := .json -}}
{{- if or (contains "\"escalate\"" $j) (contains "\"bind\"" $j) (contains "\"impersonate\"" $j) (contains "\"secrets\"" $j) (contains "\"clusterroles\"" $j) (contains "\"clusterrolebindings\"" $j) -}}
true
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
