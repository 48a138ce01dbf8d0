{{/* The release's resource name: the release name, or release-chart when the release name lacks the chart's. */}}
{{- define "hookyard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The internal Service's name; it has to fit 63 characters with its suffix. */}}
{{- define "hookyard.internalName" -}}
{{- printf "%s-internal" (include "hookyard.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}

{{- define "hookyard.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hookyard.labels" -}}
{{ include "hookyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "hookyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "hookyard.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "hookyard.secretName" -}}
{{- .Values.secret.name | default (printf "%s-secrets" (include "hookyard.fullname" .)) -}}
{{- end -}}

{{/*
The config file: .Values.config with its server section set from .Values.ports and .Values.lifecycle, so the
listeners, probes and Services always agree. A server key other than host, port and internal (none today) is kept.
*/}}
{{- define "hookyard.configFile" -}}
{{- if eq (int .Values.ports.public) (int .Values.ports.internal) -}}
{{- fail "ports.public and ports.internal must differ: the internal listener keeps the admin API off the public port" -}}
{{- end -}}
{{- $config := deepCopy (.Values.config | default dict) -}}
{{- $server := deepCopy (get $config "server" | default dict) -}}
{{- $_ := set $server "host" "0.0.0.0" -}}
{{- $_ := set $server "port" (int .Values.ports.public) -}}
{{- $_ := set $server "internal" (dict "host" "0.0.0.0" "port" (int .Values.ports.internal)) -}}
{{- $_ := set $server "shutdownGrace" (printf "%ds" (int .Values.lifecycle.shutdownGraceSeconds)) -}}
{{- $_ := set $config "server" $server -}}
{{- toYaml $config -}}
{{- end -}}
