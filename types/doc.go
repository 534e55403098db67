// Package types holds Coxswain's API objects: Kubernetes-compatible kinds
// with Kubernetes' JSON field names, their metadata, the Scheme that maps
// apiVersion and kind to Go types, and the codec, defaulting and validation
// an API server applies to them.
//
// # Objects
//
// Every kind embeds TypeMeta (apiVersion, kind) and ObjectMeta (metadata),
// and implements Object through GetObjectMeta, GetKind and DeepCopyObject.
// The kinds are the core/v1 Pod, Node, Namespace, Service, Endpoints,
// ReplicationController, ConfigMap, Secret, PersistentVolume,
// PersistentVolumeClaim, Event, ResourceQuota and ServiceAccount; the apps/v1
// Deployment, ReplicaSet, StatefulSet, DaemonSet and ControllerRevision; the
// batch/v1 Job and CronJob; HorizontalPodAutoscaler (autoscaling/v2 shape,
// autoscaling/v1 accepted); Lease; StorageClass; the RBAC kinds;
// PodDisruptionBudget and PriorityClass. Fields follow k8s.io/api, pointers
// included, so JSON this package writes is what client-go reads, and the
// other way round. Selector fields are *labels.LabelSelector (a nil selector
// selects nothing, an empty one everything).
//
// Deep copies are generated (zz_generated_deepcopy.go, by
// internal/gen/deepcopy; run go generate after changing a type). A test
// fails when the generated file is stale.
//
// # Manifests
//
// Decode reads YAML or JSON, one or many documents, strictly: an unknown
// field, kind or apiVersion, or a value of the wrong type, is a DecodeError
// naming the document, the line and the field path. EncodeJSON and
// EncodeYAML write objects back with apiVersion and kind set.
//
// # Defaulting and validation
//
// Default fills in what Kubernetes defaults (namespace "default", restart
// policy, probe timings, rollout strategy, service ports and so on). Validate
// checks an object against Kubernetes' rules and returns every problem as an
// ErrorList of FieldErrors worded as Kubernetes words them; ValidateUpdate
// also checks immutable fields. A Validator carries options such as the
// node port range.
//
// # API evolution
//
// Decode converts older forms as it reads them: an autoscaling/v1
// HorizontalPodAutoscaler into the v2 shape, and beta fields carried in
// annotations (pod.beta.kubernetes.io/init-containers) into their GA
// fields, through a table of AnnotationConversions that a Scheme can extend.
//
// # Concurrency
//
// Objects are plain values: share them read-only or copy them. A Scheme is
// safe for concurrent use once built; the package-level functions use a
// built-in Scheme created on first use and never changed.
package types
