{{/*
tenant-operator.serviceAccountName: the operator's ServiceAccount (the library's one name helper).
Usage: {{ include "tenant-operator.serviceAccountName" (dict "context" $) }}
*/}}
{{- define "tenant-operator.serviceAccountName" -}}
{{- include "workload-rbac.serviceAccount.name" (dict "context" .context "serviceAccount" .context.Values.serviceAccount "component" "" "valuesPath" "serviceAccount") -}}
{{- end -}}

{{/*
tenant-operator.webhookName: the cluster-scoped name of the ValidatingWebhookConfiguration.
Usage: {{ include "tenant-operator.webhookName" (dict "context" $) }}
*/}}
{{- define "tenant-operator.webhookName" -}}
{{- include "workload-rbac.names.clusterScoped" (dict "context" .context "component" "webhook") -}}
{{- end -}}

{{/*
tenant-operator.validate: fails on contradictory values with a sentence naming the keys and the fix.
Mirrored in values.schema.json.
Usage: {{- include "tenant-operator.validate" (dict "context" $) }}
*/}}
{{- define "tenant-operator.validate" -}}
{{- $v := .context.Values -}}
{{- if and $v.rbac.namespaceScoped $v.webhook.enabled -}}
{{- fail "rbac.namespaceScoped=true needs webhook.enabled=false: admission webhooks register through cluster-scoped ValidatingWebhookConfiguration objects, which a namespace-scoped operator cannot manage. Set webhook.enabled=false (CRD validation rules still apply), or rbac.namespaceScoped=false." -}}
{{- end -}}
{{- $seen := dict -}}
{{- range $i, $j := $v.rotationJobs -}}
{{- $where := printf "rotationJobs[%d]" $i -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$" (toString $j.name)) -}}
{{- fail (printf "%s.name %q is not a DNS label of at most 32 characters: it names the job's ServiceAccount, Role and CronJob" $where (toString $j.name)) -}}
{{- end -}}
{{- if hasKey $seen $j.name -}}
{{- fail (printf "rotationJobs lists the job %q twice: give each job its own name" $j.name) -}}
{{- end -}}
{{- $_ := set $seen $j.name true -}}
{{- range $k := list "schedule" "sourceSecret" "stagingSecret" -}}
{{- if not (get $j $k) -}}
{{- fail (printf "%s (%s) has no %s: set it" $where $j.name $k) -}}
{{- end -}}
{{- end -}}
{{- if eq $j.sourceSecret $j.stagingSecret -}}
{{- fail (printf "%s (%s): sourceSecret and stagingSecret are both %q: the job would write the Secret it reads; stage into another Secret" $where $j.name $j.sourceSecret) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
tenant-operator.rules: the operator's rules, written once: a ClusterRole in cluster mode, a Role in the
release namespace when rbac.namespaceScoped. Its Secret access is an audited exception in both.
Usage: {{ $rules := include "tenant-operator.rules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "tenant-operator.rules" -}}
- why: Reconcile ControlPlane objects.
  apiGroups: [tenancy.workload-rbac.io]
  resources: [controlplanes]
  verbs: [get, list, watch, update, patch]
- why: Report each control plane's status.
  apiGroups: [tenancy.workload-rbac.io]
  resources: [controlplanes/status]
  verbs: [get, update, patch]
- why: Release the finalizer when a control plane is deleted.
  apiGroups: [tenancy.workload-rbac.io]
  resources: [controlplanes/finalizers]
  verbs: [update]
- why: Manage the generated keys, passwords and connection Secrets of each control plane (their names are per-CR, so resourceNames cannot pin them, and the cache lists and watches them).
  apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, patch, delete]
  allow: [secrets-read, secrets-write]
  {{- if .context.Values.rbac.namespaceScoped }}
  reason: "manages the Secrets of the control planes in its own namespace only (rbac.namespaceScoped)"
  {{- else }}
  reason: "manages the Secrets of every control plane in every namespace: a leaked token reads every Secret in the cluster; prefer rbac.namespaceScoped=true (see the chart README, escalation path)"
  {{- end }}
- why: Run the identity service of each control plane.
  apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
  allow: [workload-create]
  reason: "runs the identity service Deployment of each control plane"
- why: Expose each control plane and hold its configuration.
  apiGroups: [""]
  resources: [services, configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- why: Elect one active operator replica.
  apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, update, patch]
- why: Report reconcile problems on the control planes.
  apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/*
tenant-operator.clusterRules: what the operator needs cluster-wide: with the webhook on, updating its own
ValidatingWebhookConfiguration (pinned by name) to inject the serving CA.
Usage: {{ $rules := include "tenant-operator.clusterRules" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "tenant-operator.clusterRules" -}}
{{- if .context.Values.webhook.enabled }}
- why: Inject the serving CA into its own webhook configuration, pinned by name so it cannot touch any other.
  apiGroups: [admissionregistration.k8s.io]
  resources: [validatingwebhookconfigurations]
  resourceNames: [{{ include "tenant-operator.webhookName" . | quote }}]
  verbs: [get, update, patch]
{{- else -}}
[]
{{- end }}
{{- end -}}

{{/*
tenant-operator.rotationJob.rules: the pinned rules of one rotation job: get on its source Secret, get
and patch on its staging Secret, never write access to a Secret a workload consumes.
Usage: {{ $rules := include "tenant-operator.rotationJob.rules" (dict "job" $job) | fromYamlArray }}
*/}}
{{- define "tenant-operator.rotationJob.rules" -}}
- why: Read the push-source Secret.
  apiGroups: [""]
  resources: [secrets]
  resourceNames: [{{ .job.sourceSecret | quote }}]
  verbs: [get]
- why: Write the rotated value into the staging Secret.
  apiGroups: [""]
  resources: [secrets]
  resourceNames: [{{ .job.stagingSecret | quote }}]
  verbs: [get, patch]
{{- end -}}
