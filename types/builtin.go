package types

// builtinKinds is the table of kinds every Scheme starts with.
func builtinKinds() []KindInfo {
	st := []string{"status"}
	scale := []string{"scale", "status"}
	return []KindInfo{
		// core/v1
		{Kind: "Namespace", Version: "v1", Resource: "namespaces", ShortNames: []string{"ns"}, Subresources: st, New: func() Object { return &Namespace{} }},
		{Kind: "ConfigMap", Version: "v1", Resource: "configmaps", ShortNames: []string{"cm"}, Namespaced: true, New: func() Object { return &ConfigMap{} }},
		{Kind: "Secret", Version: "v1", Resource: "secrets", Namespaced: true, New: func() Object { return &Secret{} }},
		{Kind: "Pod", Version: "v1", Resource: "pods", ShortNames: []string{"po"}, Namespaced: true, Subresources: []string{"binding", "eviction", "status"}, New: func() Object { return &Pod{} }},
		{Kind: "Node", Version: "v1", Resource: "nodes", ShortNames: []string{"no"}, Subresources: st, New: func() Object { return &Node{} }},
		{Kind: "Service", Version: "v1", Resource: "services", ShortNames: []string{"svc"}, Namespaced: true, Subresources: st, New: func() Object { return &Service{} }},
		{Kind: "Endpoints", Version: "v1", Resource: "endpoints", ShortNames: []string{"ep"}, Namespaced: true, New: func() Object { return &Endpoints{} }},
		{Kind: "ReplicationController", Version: "v1", Resource: "replicationcontrollers", ShortNames: []string{"rc"}, Namespaced: true, Subresources: scale, New: func() Object { return &ReplicationController{} }},
		{Kind: "PersistentVolume", Version: "v1", Resource: "persistentvolumes", ShortNames: []string{"pv"}, Subresources: st, New: func() Object { return &PersistentVolume{} }},
		{Kind: "PersistentVolumeClaim", Version: "v1", Resource: "persistentvolumeclaims", ShortNames: []string{"pvc"}, Namespaced: true, Subresources: st, New: func() Object { return &PersistentVolumeClaim{} }},
		{Kind: "Event", Version: "v1", Resource: "events", ShortNames: []string{"ev"}, Namespaced: true, New: func() Object { return &Event{} }},
		{Kind: "ResourceQuota", Version: "v1", Resource: "resourcequotas", ShortNames: []string{"quota"}, Namespaced: true, Subresources: st, New: func() Object { return &ResourceQuota{} }},
		{Kind: "ServiceAccount", Version: "v1", Resource: "serviceaccounts", ShortNames: []string{"sa"}, Namespaced: true, New: func() Object { return &ServiceAccount{} }},
		// apps/v1
		{Kind: "Deployment", Group: "apps", Version: "v1", Resource: "deployments", ShortNames: []string{"deploy"}, Namespaced: true, Subresources: scale, New: func() Object { return &Deployment{} }},
		{Kind: "ReplicaSet", Group: "apps", Version: "v1", Resource: "replicasets", ShortNames: []string{"rs"}, Namespaced: true, Subresources: scale, New: func() Object { return &ReplicaSet{} }},
		{Kind: "StatefulSet", Group: "apps", Version: "v1", Resource: "statefulsets", ShortNames: []string{"sts"}, Namespaced: true, Subresources: scale, New: func() Object { return &StatefulSet{} }},
		{Kind: "DaemonSet", Group: "apps", Version: "v1", Resource: "daemonsets", ShortNames: []string{"ds"}, Namespaced: true, Subresources: st, New: func() Object { return &DaemonSet{} }},
		{Kind: "ControllerRevision", Group: "apps", Version: "v1", Resource: "controllerrevisions", Namespaced: true, New: func() Object { return &ControllerRevision{} }},
		// batch/v1
		{Kind: "Job", Group: "batch", Version: "v1", Resource: "jobs", Namespaced: true, Subresources: st, New: func() Object { return &Job{} }},
		{Kind: "CronJob", Group: "batch", Version: "v1", Resource: "cronjobs", ShortNames: []string{"cj"}, Namespaced: true, Subresources: st, New: func() Object { return &CronJob{} }},
		// autoscaling/v2 (also written as autoscaling/v1)
		{Kind: "HorizontalPodAutoscaler", Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers", ShortNames: []string{"hpa"}, Namespaced: true, Subresources: st, New: func() Object { return &HorizontalPodAutoscaler{} }},
		// coordination.k8s.io/v1
		{Kind: "Lease", Group: "coordination.k8s.io", Version: "v1", Resource: "leases", Namespaced: true, New: func() Object { return &Lease{} }},
		// storage.k8s.io/v1
		{Kind: "StorageClass", Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses", ShortNames: []string{"sc"}, New: func() Object { return &StorageClass{} }},
		// rbac.authorization.k8s.io/v1
		{Kind: "Role", Group: RBACGroup, Version: "v1", Resource: "roles", Namespaced: true, New: func() Object { return &Role{} }},
		{Kind: "ClusterRole", Group: RBACGroup, Version: "v1", Resource: "clusterroles", New: func() Object { return &ClusterRole{} }},
		{Kind: "RoleBinding", Group: RBACGroup, Version: "v1", Resource: "rolebindings", Namespaced: true, New: func() Object { return &RoleBinding{} }},
		{Kind: "ClusterRoleBinding", Group: RBACGroup, Version: "v1", Resource: "clusterrolebindings", New: func() Object { return &ClusterRoleBinding{} }},
		// policy/v1
		{Kind: "PodDisruptionBudget", Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", ShortNames: []string{"pdb"}, Namespaced: true, Subresources: st, New: func() Object { return &PodDisruptionBudget{} }},
		// scheduling.k8s.io/v1
		{Kind: "PriorityClass", Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses", ShortNames: []string{"pc"}, New: func() Object { return &PriorityClass{} }},
	}
}

// builtinAliases lists the extra apiVersions built-in kinds may be written in.
func builtinAliases() [][2]string {
	return [][2]string{{"autoscaling/v1", "HorizontalPodAutoscaler"}}
}
