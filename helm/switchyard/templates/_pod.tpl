{{/*
Pod and container pieces shared by the Switchyard workloads. Callers pass
(dict "ctx" $ "comp" .Values.<component> "component" "<name>").
*/}}

{{/* SHUTDOWN_GRACE_MS of a component: its own value, else shutdown.graceMs. */}}
{{- define "switchyard.graceMs" -}}
{{- if kindIs "invalid" .comp.shutdownGraceMs -}}
{{- int64 .ctx.Values.shutdown.graceMs -}}
{{- else -}}
{{- int64 .comp.shutdownGraceMs -}}
{{- end -}}
{{- end -}}

{{/*
preStop sleep + SHUTDOWN_GRACE_MS (rounded up) + margin: the kubelet's deadline
covers the whole drain, so SIGKILL never cuts a stream the service would finish.
*/}}
{{- define "switchyard.terminationGracePeriodSeconds" -}}
{{- $graceMs := include "switchyard.graceMs" . | int64 -}}
{{- $shutdown := .ctx.Values.shutdown -}}
{{- add (int64 $shutdown.preStopSleepSeconds) (div (add $graceMs 999) 1000) (int64 $shutdown.marginSeconds) -}}
{{- end -}}

{{/* The sleep lets endpoint removal reach every proxy before the server stops accepting. */}}
{{- define "switchyard.lifecycle" -}}
{{- $sleep := int64 .ctx.Values.shutdown.preStopSleepSeconds -}}
{{- if gt $sleep 0 -}}
lifecycle:
  preStop:
    exec:
      command: ["sleep", "{{ $sleep }}"]
{{- end -}}
{{- end -}}

{{/* Liveness on /health, readiness on /ready (or .readinessPath), both on the named HTTP port (HTTPS with .https). */}}
{{- define "switchyard.probes" -}}
livenessProbe:
  httpGet:
    path: /health
    port: {{ .port }}
    {{- if .https }}
    scheme: HTTPS
    {{- end }}
  {{- with .comp.livenessProbe }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
readinessProbe:
  httpGet:
    path: {{ .readinessPath | default "/ready" }}
    port: {{ .port }}
    {{- if .https }}
    scheme: HTTPS
    {{- end }}
  {{- with .comp.readinessProbe }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{- define "switchyard.podSpecCommon" -}}
serviceAccountName: {{ include "switchyard.serviceAccountName" .ctx }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .comp.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ include "switchyard.terminationGracePeriodSeconds" . }}
{{- with .comp.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .comp.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .comp.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .comp.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml .comp.topologySpreadConstraints | nindent 2 }}
{{- else if hasKey .comp "topologySpreadConstraints" }}
{{- /* Best effort: replicas on different nodes, never blocks scheduling. */}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "switchyard.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 8 }}
{{- end }}
{{- end -}}

{{/* The TLS Secret of a component (tls.existingSecret), mounted where TLS_CERT_FILE/TLS_KEY_FILE point. */}}
{{- define "switchyard.tlsMount" -}}
{{- if .tls.existingSecret }}
- name: tls
  mountPath: /etc/switchyard/tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "switchyard.tlsVolume" -}}
{{- if .tls.existingSecret }}
- name: tls
  secret:
    secretName: {{ .tls.existingSecret }}
{{- end }}
{{- end -}}

{{/* Writable /tmp: the root filesystem is read-only. */}}
{{- define "switchyard.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{/* REDIS_URL from a Secret; callers include it only when Redis is enabled. */}}
{{- define "switchyard.redisEnv" -}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "switchyard.redis.secretName" . }}
      key: {{ include "switchyard.redis.secretKey" . }}
{{- end -}}

{{/* Changes whenever auth or Redis values change, so pods roll; generated tokens keep their value. */}}
{{- define "switchyard.secretChecksum" -}}
{{- dict "auth" .Values.auth "redis" (omit .Values.redis "bundled") "bundled" .Values.redis.bundled.enabled | toJson | sha256sum -}}
{{- end -}}
