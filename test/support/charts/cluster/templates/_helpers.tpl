{{/* The names and conditions the stand-in shares between its templates (see ../README.md). */}}
{{- define "standin.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride -}}
{{- end -}}

{{/* "true" when backups go through the Barman Cloud plugin: then the chart makes its ObjectStore and plugin entry. */}}
{{- define "standin.barmanPlugin" -}}
{{- and .Values.backups.enabled (eq .Values.backups.method "plugin") (eq (.Values.backups.pluginConfiguration.name | default "") "barman-cloud.cloudnative-pg.io") -}}
{{- end -}}

{{/*
An ObjectStore's `configuration` for S3 from one values scope (backups or recovery): the destination, the endpoint
(AWS's regional one when none is given), and the credentials Secret's two keys. Called with (list scope secretName).
*/}}
{{- define "standin.s3Configuration" -}}
{{- $scope := index . 0 -}}
{{- $secret := index . 1 -}}
destinationPath: {{ required "the stand-in needs destinationPath" $scope.destinationPath | quote }}
{{- if $scope.endpointURL }}
endpointURL: {{ $scope.endpointURL | quote }}
{{- else }}
endpointURL: {{ printf "https://s3.%s.amazonaws.com" (required "S3 region is required without endpointURL" $scope.s3.region) | quote }}
{{- end }}
s3Credentials:
  accessKeyId:
    name: {{ $secret }}
    key: ACCESS_KEY_ID
  secretAccessKey:
    name: {{ $secret }}
    key: ACCESS_SECRET_KEY
{{- end -}}
