package types

import (
	"reflect"
	"testing"
)

func TestDefaultPod(t *testing.T) {
	p := decodeOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: nginx
    ports: [{containerPort: 80}]
    livenessProbe: {httpGet: {port: 80}}
    resources: {limits: {cpu: "1"}}
  - {name: b, image: "nginx:1.25"}
  - {name: c, image: "registry:5000/app:latest"}
  - {name: d, image: "registry:5000/app"}
  - {name: e, image: "app@sha256:abc"}
`).(*Pod)
	s := p.Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"namespace", p.Namespace, "default"},
		{"restartPolicy", s.RestartPolicy, RestartPolicyAlways},
		{"dnsPolicy", s.DNSPolicy, DNSClusterFirst},
		{"terminationGracePeriodSeconds", *s.TerminationGracePeriodSeconds, int64(30)},
		{"schedulerName", s.SchedulerName, "default-scheduler"},
		{"pull :none", s.Containers[0].ImagePullPolicy, PullAlways},
		{"pull :1.25", s.Containers[1].ImagePullPolicy, PullIfNotPresent},
		{"pull :latest", s.Containers[2].ImagePullPolicy, PullAlways},
		{"pull host:port/app", s.Containers[3].ImagePullPolicy, PullAlways},
		{"pull digest", s.Containers[4].ImagePullPolicy, PullIfNotPresent},
		{"port protocol", s.Containers[0].Ports[0].Protocol, ProtocolTCP},
		{"probe timeout", s.Containers[0].LivenessProbe.TimeoutSeconds, int32(1)},
		{"probe period", s.Containers[0].LivenessProbe.PeriodSeconds, int32(10)},
		{"probe success", s.Containers[0].LivenessProbe.SuccessThreshold, int32(1)},
		{"probe failure", s.Containers[0].LivenessProbe.FailureThreshold, int32(3)},
		{"request from limit", s.Containers[0].Resources.Requests.CPU().MilliValue(), int64(1000)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	again := p.DeepCopy()
	Default(again)
	if !reflect.DeepEqual(again, p) {
		t.Error("Default is not idempotent")
	}
}

func TestDefaultWorkloads(t *testing.T) {
	objs, err := Decode([]byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: nginx}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  selector: {matchLabels: {app: s}}
  template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  selector: {matchLabels: {app: ds}}
  template: {metadata: {labels: {app: ds}}, spec: {containers: [{name: c, image: nginx}]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "*/5 * * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  template: {metadata: {labels: {app: rc}}, spec: {containers: [{name: c, image: nginx}]}}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
spec: {ports: [{port: 80}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
spec: {scaleTargetRef: {kind: Deployment, name: d}, maxReplicas: 3}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /x}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pvc}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		Default(o)
		if err := Validate(o); err != nil {
			t.Errorf("%s: %v", o.GetKind(), err)
		}
	}
	d := objs[0].(*Deployment).Spec
	sts := objs[1].(*StatefulSet).Spec
	ds := objs[2].(*DaemonSet).Spec
	cj := objs[3].(*CronJob).Spec
	rc := objs[4].(*ReplicationController)
	svc := objs[5].(*Service).Spec
	h := objs[6].(*HorizontalPodAutoscaler).Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"deploy replicas", *d.Replicas, int32(1)},
		{"deploy strategy", d.Strategy.Type, RollingUpdateDeploymentStrategyType},
		{"deploy maxSurge", d.Strategy.RollingUpdate.MaxSurge.String(), "25%"},
		{"deploy maxUnavailable", d.Strategy.RollingUpdate.MaxUnavailable.String(), "25%"},
		{"deploy revisionHistoryLimit", *d.RevisionHistoryLimit, int32(10)},
		{"deploy progressDeadlineSeconds", *d.ProgressDeadlineSeconds, int32(600)},
		{"sts podManagementPolicy", sts.PodManagementPolicy, OrderedReadyPodManagement},
		{"sts partition", *sts.UpdateStrategy.RollingUpdate.Partition, int32(0)},
		{"ds maxUnavailable", ds.UpdateStrategy.RollingUpdate.MaxUnavailable.String(), "1"},
		{"cj concurrency", cj.ConcurrencyPolicy, AllowConcurrent},
		{"cj successful limit", *cj.SuccessfulJobsHistoryLimit, int32(3)},
		{"cj failed limit", *cj.FailedJobsHistoryLimit, int32(1)},
		{"job completions", *cj.JobTemplate.Spec.Completions, int32(1)},
		{"job parallelism", *cj.JobTemplate.Spec.Parallelism, int32(1)},
		{"job backoffLimit", *cj.JobTemplate.Spec.BackoffLimit, int32(6)},
		{"job completionMode", *cj.JobTemplate.Spec.CompletionMode, NonIndexedCompletion},
		{"rc selector", rc.Spec.Selector, map[string]string{"app": "rc"}},
		{"rc labels", rc.Labels, map[string]string{"app": "rc"}},
		{"svc type", svc.Type, ServiceTypeClusterIP},
		{"svc affinity", svc.SessionAffinity, ServiceAffinityNone},
		{"svc targetPort", svc.Ports[0].TargetPort, FromInt32(80)},
		{"svc protocol", svc.Ports[0].Protocol, ProtocolTCP},
		{"hpa minReplicas", *h.MinReplicas, int32(1)},
		{"pv reclaim", objs[7].(*PersistentVolume).Spec.PersistentVolumeReclaimPolicy, PersistentVolumeReclaimRetain},
		{"pvc volumeMode", *objs[8].(*PersistentVolumeClaim).Spec.VolumeMode, PersistentVolumeFilesystem},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
