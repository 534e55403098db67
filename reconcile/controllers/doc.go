// Package controllers wires the built-in controllers into a
// reconcile.Manager: AddAll builds each one over a shared informer.Factory
// and adds it to the manager.
//
// The controllers live one per package below this one:
//
//   - replicaset: ReplicaSets and ReplicationControllers keep N pods
//   - deployment: rolling update and Recreate through ReplicaSets,
//     rollback, pause, proportional scaling, progress deadlines
//   - endpoints: a Service's Endpoints follow the pods it selects
//   - garbagecollector: ownerReferences drive deletion (background,
//     foreground, orphan)
//   - namespace: a namespace being deleted is emptied, then removed
//   - nodelifecycle: node heartbeats, NotReady/unreachable taints, rate-
//     limited eviction, cordon and drain
//   - daemonset: one pod per eligible node, rolling update and OnDelete
//   - statefulset: ordinal pods with stable names and claims
//   - job and cronjob: run-to-completion pods, on a schedule
//   - podautoscaler: the HorizontalPodAutoscaler
//   - volume: PersistentVolumeClaim binding and dynamic provisioning
//   - nodeipam (opt-in): a pod CIDR per node
//   - rebalance (opt-in): a descheduler that moves pods to better nodes
//   - record: the Recorder the controllers report Events through
//
// Names lists them by the names Config.Disabled and Config.Enabled take;
// OptIn lists the ones AddAll leaves out unless Enabled names them. Clock,
// Logger, Recorder and Registerer set on Config reach every controller
// whose own Config leaves them unset.
//
// Each can be used alone: New(store, factory, Config) returns a
// reconcile.Runnable. The usual program is
//
//	f, _ := informer.NewFactory(st, informer.Config{})
//	mgr := reconcile.NewManager(reconcile.ManagerConfig{Elector: elector})
//	mgr.Add(f)
//	controllers.AddAll(mgr, st, f, controllers.Config{})
//	mgr.Run(ctx)
//
// With an Elector only the leader runs the controllers, while standbys keep
// their caches warm.
package controllers
