{{/*
Names. "leakguard" for a release named leakguard (the usual case), else "<release>-leakguard";
the controller and agent objects append -controller / -agent.
*/}}
{{- define "leakguard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "leakguard.controllerName" -}}{{ include "leakguard.fullname" . }}-controller{{- end -}}
{{- define "leakguard.agentName" -}}{{ include "leakguard.fullname" . }}-agent{{- end -}}
{{- define "leakguard.agentTlsSecret" -}}{{ include "leakguard.fullname" . }}-agent-tls{{- end -}}

{{- define "leakguard.agentCaSecret" -}}{{ include "leakguard.fullname" . }}-agent-ca{{- end -}}

{{/* True when the controller verifies the agents with the chart's CA. */}}
{{- define "leakguard.agentTls" -}}
{{- if and .Values.agent.enabled .Values.agent.tls.generate }}true{{ end -}}
{{- end -}}

{{/* True when each agent gets a certificate of its own, signed by the controller. */}}
{{- define "leakguard.agentTlsPerNode" -}}
{{- if and (include "leakguard.agentTls" .) .Values.agent.tls.perNode }}true{{ end -}}
{{- end -}}

{{/* True when the agents share one certificate the chart generates. */}}
{{- define "leakguard.agentTlsShared" -}}
{{- if and (include "leakguard.agentTls" .) (not .Values.agent.tls.perNode) }}true{{ end -}}
{{- end -}}

{{/* The image of both components. */}}
{{- define "leakguard.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag: use an explicit version, not latest (the kubelet would try to pull it)" -}}
{{- end -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}

{{/* Labels every object carries, besides its component's selector labels below. */}}
{{- define "leakguard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: leakguard
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Selector labels. The agent's app.kubernetes.io/name must stay "leakguard-agent": the controller
finds the agent pods of its namespace by that label (controllers/sources/agent_endpoint.h).
*/}}
{{- define "leakguard.controllerSelector" -}}
app.kubernetes.io/name: leakguard-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "leakguard.agentSelector" -}}
app.kubernetes.io/name: leakguard-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The username the agents accept: the controller's ServiceAccount. */}}
{{- define "leakguard.controllerUser" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "leakguard.controllerName" . }}
{{- end -}}

{{/* Container securityContext shared by the controller and the (unprivileged) agent. */}}
{{- define "leakguard.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The enabled playbook actions, comma-separated (the controller's --actions), or "none".
*/}}
{{- define "leakguard.enabledActions" -}}
{{- $on := list }}
{{- range $name, $enabled := .Values.actions }}
{{- if $enabled }}{{ $on = append $on $name }}{{ end }}
{{- end }}
{{- if $on }}{{ join "," (sortAlpha $on) }}{{ else }}none{{ end }}
{{- end }}

{{/*
"true" when a Prometheus Operator object is wanted: list (enabled value) (root) (kind).
enabled auto: when the cluster serves monitoring.coreos.com/v1 <kind>.
*/}}
{{- define "leakguard.wantMonitor" -}}
{{- $enabled := index . 0 -}}{{- $root := index . 1 -}}{{- $kind := index . 2 -}}
{{- if eq (toString $enabled) "auto" -}}
{{- if $root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" $kind) -}}true{{- end -}}
{{- else if $enabled -}}true{{- end -}}
{{- end -}}
