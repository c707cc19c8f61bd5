{{/* Names, labels and the pieces every component's template shares. */}}

{{- define "eas.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "eas.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of a component's objects: (dict "root" $ "component" "edge") */}}
{{- define "eas.componentName" -}}
{{- printf "%s-%s" (include "eas.fullname" .root | trunc 50 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "eas.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "eas.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of a component: (dict "root" $ "component" "edge") */}}
{{- define "eas.componentLabels" -}}
{{ include "eas.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "eas.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eas.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "eas.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "eas.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "eas.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* Whether the cluster's components are rendered. */}}
{{- define "eas.cluster" -}}
{{- if eq .Values.mode "cluster" }}true{{ end -}}
{{- end -}}

{{/* The Service that phones' requests go to (edge, or the all-in-one server). */}}
{{- define "eas.webService" -}}
{{- if include "eas.cluster" . -}}
{{- include "eas.componentName" (dict "root" . "component" "edge") -}}
{{- else -}}
{{- include "eas.componentName" (dict "root" . "component" "server") -}}
{{- end -}}
{{- end -}}

{{- define "eas.webServicePort" -}}
{{- if include "eas.cluster" . -}}{{ .Values.edge.service.port }}{{- else -}}{{ .Values.server.service.port }}{{- end -}}
{{- end -}}

{{/* The ActiveSync route's request timeout in seconds: the longest heartbeat plus a margin. */}}
{{- define "eas.longTimeoutSeconds" -}}
{{- add (int .Values.edge.ping.maxHeartbeatSeconds) (int .Values.routes.timeoutMarginSeconds) -}}
{{- end -}}

{{/* The edge's grace period: preStop sleep, drain delay, drain timeout and 5 s to exit. */}}
{{- define "eas.edgeGracePeriod" -}}
{{- $e := .Values.edge -}}
{{- if kindIs "invalid" $e.terminationGracePeriodSeconds -}}
{{- add (int $e.preStopSleepSeconds) (int $e.drain.delaySeconds) (int $e.drain.timeoutSeconds) 5 -}}
{{- else -}}
{{- int $e.terminationGracePeriodSeconds -}}
{{- end -}}
{{- end -}}

{{/*
A settings map as environment variables for a ConfigMap: (dict "prefix" "EAS_EDGE_" "values" $map)
gives EAS_EDGE_<KEY>, with `__` between nested keys, the way the services read them
(eas_service_kit::load_config). Lists and numbers are written as JSON, which the services parse.
*/}}
{{- define "eas.envMap" -}}
{{- $prefix := .prefix -}}
{{- range $k, $v := .values }}
{{- $name := printf "%s%s" $prefix (upper $k | replace "." "_" | replace "-" "_") }}
{{- if kindIs "map" $v }}
{{- include "eas.envMap" (dict "prefix" (printf "%s__" $name) "values" $v) }}
{{- else if not (kindIs "invalid" $v) }}
{{ $name }}: {{ include "eas.envValue" $v | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "eas.envValue" -}}
{{- if kindIs "string" . -}}{{ . }}{{- else -}}{{ toJson . }}{{- end -}}
{{- end -}}

{{/* The `[edge]` table shared by eas-edge and eas-server, as a map. */}}
{{- define "eas.edgeTable" -}}
{{- $e := .Values.edge -}}
{{- $t := dict
  "public_url" .Values.publicUrl
  "max_request_bytes" $e.maxRequestBytes
  "ping" (dict "min_heartbeat_seconds" $e.ping.minHeartbeatSeconds "max_heartbeat_seconds" $e.ping.maxHeartbeatSeconds "max_folders" $e.ping.maxFolders)
  "drain" (dict "delay_seconds" $e.drain.delaySeconds "timeout_seconds" $e.drain.timeoutSeconds)
  "calendar" (dict "time_zone" $e.calendar.timeZone "first_day_of_week" $e.calendar.firstDayOfWeek "shared_calendar_device_types" $e.calendar.sharedCalendarDeviceTypes) -}}
{{- $cfg := deepCopy $e.config -}}
{{- if or (hasKey $cfg "ping") (hasKey $cfg "drain") (hasKey $cfg "admin_token") (hasKey $cfg "public_url") (hasKey $cfg "max_request_bytes") -}}
{{- fail "edge.config: set ping, drain, public_url and max_request_bytes through edge.ping, edge.drain, publicUrl and edge.maxRequestBytes, and the admin token through adminToken (the routes and the grace period follow them)" -}}
{{- end -}}
{{- if hasKey $cfg "calendar" -}}
{{- fail "edge.config: set calendar.time_zone, calendar.first_day_of_week and calendar.shared_calendar_device_types through edge.calendar.timeZone, edge.calendar.firstDayOfWeek and edge.calendar.sharedCalendarDeviceTypes" -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $t $cfg) -}}
{{- end -}}

{{/* The SMTP relay table shared by eas-mail and eas-server, as a map (empty without a host). */}}
{{- define "eas.smtpRelay" -}}
{{- $r := .Values.mail.smtpRelay -}}
{{- if $r.host -}}
{{- $t := dict "host" $r.host "port" $r.port -}}
{{- if $r.helloName }}{{ $_ := set $t "hello_name" $r.helloName }}{{ end -}}
{{- toYaml $t -}}
{{- end -}}
{{- end -}}

{{/* The PostgreSQL URL without a password (the password comes as PGPASSWORD). */}}
{{- define "eas.postgresUrl" -}}
{{- $p := .Values.postgresql -}}
{{- printf "postgres://%s@%s:%d/%s" $p.username $p.host (int $p.port) $p.database -}}
{{- end -}}

{{/*
Environment variables carrying PostgreSQL URLs and the password:
(dict "root" $ "names" (list "EAS_MAIL_DATABASE_URL" ...)).
*/}}
{{- define "eas.postgresEnv" -}}
{{- $p := .root.Values.postgresql -}}
{{- if $p.urlKey }}
{{- if not $p.existingSecret }}{{ fail "postgresql.urlKey needs postgresql.existingSecret" }}{{ end }}
{{- range .names }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $p.existingSecret }}
      key: {{ $p.urlKey }}
{{- end }}
{{- else }}
{{- if not $p.host }}{{ fail "cluster mode needs postgresql.host (or postgresql.existingSecret with postgresql.urlKey)" }}{{ end }}
{{- if $p.existingSecret }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $p.existingSecret }}
      key: {{ $p.passwordKey }}
{{- end }}
{{- $url := include "eas.postgresUrl" .root }}
{{- range .names }}
- name: {{ . }}
  value: {{ $url | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment variables carrying the Redis URL: (dict "root" $ "name" "EAS_EDGE_REDIS_URL"). */}}
{{- define "eas.redisEnv" -}}
{{- $r := .root.Values.redis -}}
{{- if $r.urlKey }}
{{- if not $r.existingSecret }}{{ fail "redis.urlKey needs redis.existingSecret" }}{{ end }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ $r.existingSecret }}
      key: {{ $r.urlKey }}
{{- else }}
{{- if not $r.host }}{{ fail "cluster mode needs redis.host (or redis.existingSecret with redis.urlKey)" }}{{ end }}
{{- $auth := "" }}
{{- if $r.passwordKey }}
{{- if not $r.existingSecret }}{{ fail "redis.passwordKey needs redis.existingSecret" }}{{ end }}
- name: EAS_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $r.existingSecret }}
      key: {{ $r.passwordKey }}
{{- $auth = printf "%s:$(EAS_REDIS_PASSWORD)@" $r.username }}
{{- else if $r.username }}
{{- $auth = printf "%s@" $r.username }}
{{- end }}
- name: {{ .name }}
  value: {{ printf "redis://%s%s:%d/%d" $auth $r.host (int $r.port) (int $r.database) | quote }}
{{- end }}
{{- end -}}

{{/* The admin token variable(s) from the existing Secret: (dict "root" $ "names" (list ...)). */}}
{{- define "eas.adminTokenEnv" -}}
{{- $t := .root.Values.adminToken -}}
{{- if $t.existingSecret }}
{{- range .names }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $t.existingSecret }}
      key: {{ $t.key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The OpenTelemetry variables (standard names); none without an endpoint. */}}
{{- define "eas.otelEnv" -}}
{{- $o := .root.Values.observability.otlp -}}
{{- if $o.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $o.endpoint | quote }}
{{- with $o.protocol }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ . | quote }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
- name: EAS_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: EAS_POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.namespace.name=$(EAS_POD_NAMESPACE),k8s.pod.name=$(EAS_POD_NAME),service.version=%s%s" .root.Chart.AppVersion (ternary (printf ",%s" $o.resourceAttributes) "" (ne $o.resourceAttributes "")) | quote }}
{{- with $o.sampler }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- with $o.samplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Extra environment of every container and of the component: (dict "root" $ "values" .Values.edge) */}}
{{- define "eas.extraEnv" -}}
{{- with .root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every component: (dict "root" $ "values" .Values.edge "component" "edge") */}}
{{- define "eas.podSpec" -}}
serviceAccountName: {{ include "eas.serviceAccountName" .root }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
securityContext:
{{ toYaml .root.Values.podSecurityContext | indent 2 }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
{{ toYaml . }}
{{- end }}
{{- with .values.affinity }}
affinity:
{{ toYaml . | indent 2 }}
{{- end }}
{{- if .values.topologySpreadConstraints }}
topologySpreadConstraints:
{{ toYaml .values.topologySpreadConstraints }}
{{- else if .root.Values.topologySpread.enabled }}
{{- $ctx := . }}
topologySpreadConstraints:
{{- range .root.Values.topologySpread.topologyKeys }}
- topologyKey: {{ . }}
  maxSkew: {{ $ctx.root.Values.topologySpread.maxSkew }}
  whenUnsatisfiable: {{ $ctx.root.Values.topologySpread.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
{{ include "eas.selectorLabels" $ctx | indent 6 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Container-level settings shared by every component. */}}
{{- define "eas.containerCommon" -}}
image: {{ include "eas.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
{{ toYaml .root.Values.containerSecurityContext | indent 2 }}
{{- with .values.resources }}
resources:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end -}}

{{/* Probes on a health port: (dict "port" "health") */}}
{{- define "eas.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
  periodSeconds: 5
  # A readiness check answers within 5 s (eas_service_kit::health::READY_TIMEOUT).
  timeoutSeconds: 6
  failureThreshold: 2
{{- end -}}

{{/* A PodDisruptionBudget: (dict "root" $ "values" .Values.edge "component" "edge") */}}
{{- define "eas.pdb" -}}
{{- if .values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "eas.componentName" . }}
  labels:
{{ include "eas.componentLabels" . | indent 4 }}
spec:
  maxUnavailable: {{ .values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
{{ include "eas.selectorLabels" . | indent 6 }}
{{- end }}
{{- end -}}

{{/* A HorizontalPodAutoscaler: (dict "root" $ "values" .Values.edge "component" "edge") */}}
{{- define "eas.hpa" -}}
{{- $a := .values.autoscaling -}}
{{- if $a.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "eas.componentName" . }}
  labels:
{{ include "eas.componentLabels" . | indent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "eas.componentName" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
{{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
{{- end }}
{{- with $a.metrics }}
{{ toYaml . | indent 4 }}
{{- end }}
{{- with $a.behavior }}
  behavior:
{{ toYaml . | indent 4 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The /tmp emptyDir: (dict "sizeLimit" "64Mi") */}}
{{- define "eas.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .sizeLimit }}
{{- end -}}

{{/* Pod annotations: the checksum of the component's ConfigMap and the user's. */}}
{{- define "eas.podAnnotations" -}}
checksum/config: {{ .config | sha256sum }}
{{- with .values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Replicas of a component for NOTES.txt: a number, or the autoscaler's range. */}}
{{- define "eas.notesReplicas" -}}
{{- if and .autoscaling .autoscaling.enabled -}}
{{ .autoscaling.minReplicas }} to {{ .autoscaling.maxReplicas }} (autoscaled)
{{- else -}}
{{ .replicas }}
{{- end -}}
{{- end -}}
