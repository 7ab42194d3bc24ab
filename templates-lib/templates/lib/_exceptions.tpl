{{/*
workload-rbac.exceptions.overridable: the rbac-matrix check IDs a rule may override with "allow" (an
audited exception), as a JSON list. Wildcards, escalate/bind/impersonate and writes on cluster-wide RBAC
are refused by workload-rbac.validate.rules whatever a rule allows.
Usage: {{ $ids := include "workload-rbac.exceptions.overridable" (dict) | fromJsonArray }}
*/}}
{{- define "workload-rbac.exceptions.overridable" -}}
{{- list "secrets-read" "secrets-write" "workload-create" "persistentvolumes-write" | toJson -}}
{{- end -}}

{{/*
workload-rbac.exceptions.validate: fails unless every rule's audited exception is well formed: "allow"
is a list of overridable check IDs (workload-rbac.exceptions.overridable) and "reason" says in one line
why the rule needs it. A reason without allow, or an allow without reason, is an error.
Usage: {{- include "workload-rbac.exceptions.validate" (dict "rules" $rules "valuesPath" "rbac.rules") }}
Input:
  - rules - list - Required. RBAC rules; each may carry allow (list of check IDs) and reason (string).
  - valuesPath - string - Required. Where the rules come from, for the error message.
*/}}
{{- define "workload-rbac.exceptions.validate" -}}
{{- range $i, $r := .rules -}}
{{- if and (kindIs "map" $r) (or (hasKey $r "allow") (hasKey $r "reason")) -}}
{{- $where := printf "%s[%d]" $.valuesPath $i -}}
{{- $ids := include "workload-rbac.exceptions.overridable" (dict) | fromJsonArray -}}
{{- if not (kindIs "slice" $r.allow) -}}
{{- fail (printf "workload-rbac: %s has a reason but no allow list: name the checks it overrides, e.g. allow: [secrets-read], or drop the reason" $where) -}}
{{- end -}}
{{- if empty $r.allow -}}
{{- fail (printf "workload-rbac: %s.allow is empty: name the checks it overrides, e.g. allow: [secrets-read], or drop allow and reason" $where) -}}
{{- end -}}
{{- range $id := $r.allow -}}
{{- if not (has $id $ids) -}}
{{- fail (printf "workload-rbac: %s.allow names %q, which cannot be overridden: only %s can be allowed with a reason (wildcards, escalate/bind/impersonate and cluster RBAC writes are always refused)" $where (toString $id) (join ", " $ids)) -}}
{{- end -}}
{{- end -}}
{{- if or (not (kindIs "string" $r.reason)) (not (trim ($r.reason | default ""))) -}}
{{- fail (printf "workload-rbac: %s.allow overrides %s without a reason: add reason: \"<why this workload needs it>\" (it is rendered as the workload-rbac.io/reason annotation)" $where (join ", " $r.allow)) -}}
{{- end -}}
{{- if contains "\n" $r.reason -}}
{{- fail (printf "workload-rbac: %s.reason spans several lines: write it on one line" $where) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
workload-rbac.exceptions.annotations: the annotations of a role rendered from rules with audited
exceptions: workload-rbac.io/allow (the overridden check IDs, sorted, comma-separated, which rbac-matrix
honours) and workload-rbac.io/reason (the rules' reasons, "; "-separated). Empty when no rule allows
anything.
Usage: {{- with include "workload-rbac.exceptions.annotations" (dict "rules" .rules) }}
         annotations:
           {{- . | nindent 4 }}
       {{- end }}
*/}}
{{- define "workload-rbac.exceptions.annotations" -}}
{{- $ids := list -}}
{{- $reasons := list -}}
{{- range $r := .rules -}}
{{- if and (kindIs "map" $r) $r.allow -}}
{{- $ids = concat $ids $r.allow -}}
{{- $reasons = append $reasons (trim $r.reason) -}}
{{- end -}}
{{- end -}}
{{- if $ids -}}
workload-rbac.io/allow: {{ $ids | uniq | sortAlpha | join "," | quote }}
workload-rbac.io/reason: {{ $reasons | uniq | join "; " | quote }}
{{- end -}}
{{- end -}}
