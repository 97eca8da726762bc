{{/*
Names, labels and images shared by every template. Component templates pass
(dict "ctx" $ "component" "<name>") so one helper serves all of them.
*/}}

{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* 48 characters leave room for "-control-plane" within the 63-character limit. */}}
{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.componentName" -}}
{{- printf "%s-%s" (include "switchyard.fullname" .ctx) .component -}}
{{- end -}}

{{- define "switchyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "switchyard.labels" -}}
helm.sh/chart: {{ include "switchyard.chart" .ctx }}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: switchyard
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels for resources that belong to the release, not to one component. */}}
{{- define "switchyard.releaseLabels" -}}
helm.sh/chart: {{ include "switchyard.chart" . }}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: switchyard
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* <registry>/<repository>:<tag>; the tag defaults to appVersion and is never `latest`. */}}
{{- define "switchyard.image" -}}
{{- $tag := .image.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion | toString -}}
{{- if eq $tag "latest" -}}
{{- fail "switchyard: the image tag `latest` is not allowed; pin a version (image.tag)" -}}
{{- end -}}
{{- printf "%s/%s:%s" (.ctx.Values.image.registry | trimSuffix "/") .image.repository $tag -}}
{{- end -}}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.authSecretName" -}}
{{- .Values.auth.existingSecret | default (include "switchyard.fullname" .) -}}
{{- end -}}

{{/* "true" when control planes and gateways share state through Redis. */}}
{{- define "switchyard.redis.enabled" -}}
{{- if or .Values.redis.url .Values.redis.existingSecret .Values.redis.bundled.enabled -}}true{{- end -}}
{{- end -}}

{{- define "switchyard.redis.secretName" -}}
{{- .Values.redis.existingSecret | default (printf "%s-redis-url" (include "switchyard.fullname" .)) -}}
{{- end -}}

{{- define "switchyard.redis.secretKey" -}}
{{- if .Values.redis.existingSecret -}}{{ .Values.redis.existingSecretKey }}{{- else -}}redis-url{{- end -}}
{{- end -}}

{{- define "switchyard.controlPlane.grpcAddress" -}}
{{- printf "%s.%s.svc:%d" (include "switchyard.componentName" (dict "ctx" . "component" "control-plane")) .Release.Namespace (int64 .Values.controlPlane.ports.grpc) -}}
{{- end -}}

{{- define "switchyard.controlPlane.adminUrl" -}}
{{- printf "%s://%s.%s.svc:%d" (include "switchyard.scheme" .Values.controlPlane) (include "switchyard.componentName" (dict "ctx" . "component" "control-plane")) .Release.Namespace (int64 .Values.controlPlane.ports.admin) -}}
{{- end -}}

{{/* Rendering fails early, with the value to fix, instead of deploying a broken topology. */}}
{{- define "switchyard.validate" -}}
{{- $redis := .Values.redis -}}
{{- $sources := 0 -}}
{{- if $redis.url }}{{ $sources = add1 $sources }}{{ end -}}
{{- if $redis.existingSecret }}{{ $sources = add1 $sources }}{{ end -}}
{{- if $redis.bundled.enabled }}{{ $sources = add1 $sources }}{{ end -}}
{{- if gt $sources 1 -}}
{{- fail "switchyard: set only one of redis.url, redis.existingSecret, redis.bundled.enabled=true" -}}
{{- end -}}
{{- if and (gt (int64 .Values.controlPlane.replicas) 1) (eq $sources 0) -}}
{{- fail "switchyard: controlPlane.replicas > 1 needs shared state in Redis: set redis.url, redis.existingSecret or redis.bundled.enabled=true (or controlPlane.replicas=1)" -}}
{{- end -}}
{{- if and .Values.auth.apiKeys.enabled (not .Values.auth.existingSecret) (empty .Values.auth.apiKeys.keys) -}}
{{- fail "switchyard: auth.apiKeys.enabled needs at least one entry in auth.apiKeys.keys (or auth.existingSecret with api-keys.json)" -}}
{{- end -}}
{{- $hpa := .Values.gateway.autoscaling -}}
{{- if and $hpa.enabled (lt (int64 $hpa.maxReplicas) (int64 $hpa.minReplicas)) -}}
{{- fail "switchyard: gateway.autoscaling.maxReplicas must be >= minReplicas" -}}
{{- end -}}
{{- if and $hpa.enabled (kindIs "invalid" $hpa.targetCPUUtilizationPercentage) (kindIs "invalid" $hpa.targetMemoryUtilizationPercentage) -}}
{{- fail "switchyard: gateway.autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" -}}
{{- end -}}
{{- end -}}

{{/* "https" when a component (gateway, controlPlane) serves TLS from tls.existingSecret, else "http". */}}
{{- define "switchyard.scheme" -}}
{{- if .tls.existingSecret -}}https{{- else -}}http{{- end -}}
{{- end -}}
