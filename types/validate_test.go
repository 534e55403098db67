package types

import (
	"errors"
	"strings"
	"testing"
)

func decodeOne(t *testing.T, s string) Object {
	t.Helper()
	objs, err := Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	Default(objs[0])
	return objs[0]
}

func TestValidate(t *testing.T) {
	const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`
	tests := []struct {
		name string
		in   string
		edit func(Object)
		want []string // each must appear; nil means valid
	}{
		{name: "valid deployment", in: deploy},
		{name: "selector does not match template", in: deploy, edit: func(o Object) {
			o.(*Deployment).Spec.Template.Labels = map[string]string{"app": "other"}
		}, want: []string{"spec.template.metadata.labels: Invalid value", "`selector` does not match template `labels`"}},
		{name: "missing image and duplicate name", in: deploy, edit: func(o Object) {
			s := &o.(*Deployment).Spec.Template.Spec
			s.Containers = append(s.Containers, Container{Name: "web", ImagePullPolicy: PullAlways, TerminationMessagePolicy: TerminationMessageReadFile})
		}, want: []string{
			"spec.template.spec.containers[1].name: Duplicate value: \"web\"",
			"spec.template.spec.containers[1].image: Required value",
		}},
		{name: "negative replicas", in: deploy, edit: func(o Object) {
			*o.(*Deployment).Spec.Replicas = -1
		}, want: []string{"spec.replicas: Invalid value: -1: must be greater than or equal to 0"}},
		{name: "limits below requests", in: deploy, edit: func(o Object) {
			c := &o.(*Deployment).Spec.Template.Spec.Containers[0]
			c.Resources.Requests = ResourceList{ResourceCPU: MustParseQuantity("600m")}
			c.Resources.Limits = ResourceList{ResourceCPU: MustParseQuantity("500m")}
		}, want: []string{`spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: "600m": must be less than or equal to cpu limit of 500m`}},
		{name: "restart policy", in: deploy, edit: func(o Object) {
			o.(*Deployment).Spec.Template.Spec.RestartPolicy = "Sometimes"
		}, want: []string{`spec.template.spec.restartPolicy: Unsupported value: "Sometimes"`}},
		{name: "volume mount of a missing volume", in: deploy, edit: func(o Object) {
			c := &o.(*Deployment).Spec.Template.Spec.Containers[0]
			c.VolumeMounts = []VolumeMount{{Name: "data", MountPath: "/data"}}
		}, want: []string{`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"`}},
		{name: "probe with two handlers", in: deploy, edit: func(o Object) {
			c := &o.(*Deployment).Spec.Template.Spec.Containers[0]
			c.LivenessProbe = &Probe{ProbeHandler: ProbeHandler{Exec: &ExecAction{Command: []string{"true"}}, TCPSocket: &TCPSocketAction{Port: FromInt32(80)}}}
		}, want: []string{"spec.template.spec.containers[0].livenessProbe: Forbidden: may not specify more than 1 handler type"}},
		{name: "bad env name and port", in: deploy, edit: func(o Object) {
			c := &o.(*Deployment).Spec.Template.Spec.Containers[0]
			c.Env = []EnvVar{{Name: "1BAD"}}
			c.Ports = []ContainerPort{{ContainerPort: 70000, Protocol: "TCP"}}
		}, want: []string{`containers[0].env[0].name: Invalid value: "1BAD"`, "containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"}},
		{name: "toleration and affinity", in: deploy, edit: func(o Object) {
			s := &o.(*Deployment).Spec.Template.Spec
			s.Tolerations = []Toleration{{Key: "k", Operator: TolerationOpExists, Value: "v", Effect: "Sometimes"}}
			s.Affinity = &Affinity{NodeAffinity: &NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{
				NodeSelectorTerms: []NodeSelectorTerm{{MatchExpressions: []NodeSelectorRequirement{{Key: "n", Operator: NodeSelectorOpGt, Values: []string{"x"}}}}}}}}
		}, want: []string{
			"spec.template.spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
			`spec.template.spec.tolerations[0].effect: Unsupported value: "Sometimes"`,
			"nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: \"x\": must be an integer",
		}},
		{name: "bad labels and name", in: deploy, edit: func(o Object) {
			m := o.GetObjectMeta()
			m.Name = "Web_1"
			m.Labels = map[string]string{"bad key!": "x", "ok": "bad value!"}
		}, want: []string{
			`metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of`,
			`metadata.labels: Invalid value: "bad key!"`,
			`metadata.labels[ok]: Invalid value: "bad value!"`,
		}},
		{name: "annotations too large", in: deploy, edit: func(o Object) {
			o.GetObjectMeta().Annotations = map[string]string{"a": strings.Repeat("x", 256*1024)}
		}, want: []string{"metadata.annotations: Too long: must have at most 262144 bytes"}},
		{name: "rolling update both zero", in: deploy, edit: func(o Object) {
			ru := o.(*Deployment).Spec.Strategy.RollingUpdate
			ru.MaxSurge, ru.MaxUnavailable = ptr(FromInt32(0)), ptr(FromString("0%"))
		}, want: []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when `maxSurge` is 0"}},
		{name: "namespace on a cluster kind", in: "apiVersion: v1\nkind: Node\nmetadata: {name: n, namespace: x}\n",
			want: []string{"metadata.namespace: Forbidden: not allowed on this type"}},
		{name: "node taints", in: "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec:\n  taints: [{key: a, effect: Never}]\n",
			want: []string{`spec.taints[0].effect: Unsupported value: "Never"`}},
		{name: "namespace name", in: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n",
			want: []string{`metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label`}},
		{name: "no name", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
			want: []string{"metadata.name: Required value: name or generateName is required"}},
		{name: "service nodePort on ClusterIP", in: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80, nodePort: 30080}]\n",
			want: []string{"spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"}},
		{name: "service needs ports and names", in: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80}, {port: 81, protocol: ICMP}]\n",
			want: []string{"spec.ports[0].name: Required value", "spec.ports[1].name: Required value", `spec.ports[1].protocol: Unsupported value: "ICMP"`}},
		{name: "headless service", in: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: None, selector: {app: a}}\n"},
		{name: "rc selector must match", in: `apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  selector: {app: a}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: nginx}]}
`, want: []string{"spec.template.metadata.labels: Invalid value"}},
		{name: "job restart policy", in: `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec: {containers: [{name: c, image: busybox}]}
`, want: []string{"spec.template.spec.restartPolicy: Required value"}},
		{name: "valid job", in: `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
`},
		{name: "cronjob schedule", in: `apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: ""
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: OnFailure, containers: [{name: c, image: busybox}]}
`, want: []string{"spec.schedule: Required value"}},
		{name: "hpa min above max", in: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
spec:
  scaleTargetRef: {kind: Deployment, name: d}
  minReplicas: 5
  maxReplicas: 2
`, want: []string{"spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"}},
		{name: "role rules", in: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
rules:
- resources: [pods]
- verbs: [get]
  nonResourceURLs: [/healthz]
`, want: []string{"rules[0].verbs: Required value", "rules[0].apiGroups: Required value", "rules[1].nonResourceURLs: Invalid value"}},
		{name: "binding", in: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
subjects: [{kind: ServiceAccount, name: sa}, {kind: Robot, name: r}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
`, want: []string{`roleRef.kind: Unsupported value: "Role"`, "subjects[0].namespace: Required value", `subjects[1].kind: Unsupported value: "Robot"`}},
		{name: "pv and pvc", in: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: PersistentVolume
  metadata: {name: pv}
  spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}
`},
		{name: "pvc needs storage", in: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec: {accessModes: [ReadWriteOnce]}\n",
			want: []string{"spec.resources[storage]: Required value"}},
		{name: "secret keys", in: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {'a/b': x}\n",
			want: []string{`data[a/b]: Invalid value: "a/b"`}},
		{name: "priority class", in: "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 2000000000\n",
			want: []string{"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"}},
		{name: "lease", in: "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec: {leaseDurationSeconds: 0}\n",
			want: []string{"spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := decodeOne(t, tt.in)
			if tt.edit != nil {
				tt.edit(o)
			}
			err := Validate(o)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("not an ErrorList: %T", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\nlacks\n%s", err, w)
				}
			}
		})
	}
}

func TestValidatorNodePortRange(t *testing.T) {
	o := decodeOne(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 8888}]\n")
	if err := Validate(o); err == nil {
		t.Fatal("default range accepted 8888")
	}
	v := Validator{NodePortMin: 8000, NodePortMax: 9000}
	if err := v.Validate(o); err != nil {
		t.Fatalf("custom range: %v", err)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	tests := []struct {
		e    FieldError
		want string
	}{
		{FieldError{Type: ErrorTypeRequired, Field: "spec.x"}, "spec.x: Required value"},
		{FieldError{Type: ErrorTypeInvalid, Field: "a", BadValue: "v", Detail: "bad"}, `a: Invalid value: "v": bad`},
		{FieldError{Type: ErrorTypeInvalid, Field: "a", BadValue: int32(3), Detail: "bad"}, `a: Invalid value: 3: bad`},
		{FieldError{Type: ErrorTypeNotSupported, Field: "p", BadValue: ProtocolTCP}, `p: Unsupported value: "TCP"`},
		{FieldError{Type: ErrorTypeForbidden, Field: "f", Detail: "no"}, "f: Forbidden: no"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestValidateUpdate(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx:1}]\n"
	tests := []struct {
		name string
		old  string
		edit func(Object)
		want string
	}{
		{"image may change", pod, func(o Object) { o.(*Pod).Spec.Containers[0].Image = "nginx:2" }, ""},
		{"toleration added", pod, func(o Object) {
			o.(*Pod).Spec.Tolerations = append(o.(*Pod).Spec.Tolerations, Toleration{Key: "k", Operator: TolerationOpExists})
		}, ""},
		{"nodeName set once", pod, func(o Object) { o.(*Pod).Spec.NodeName = "n1" }, ""},
		{"env may not change", pod, func(o Object) { o.(*Pod).Spec.Containers[0].Env = []EnvVar{{Name: "A"}} }, "spec: Forbidden: pod updates may not change fields"},
		{"name may not change", pod, func(o Object) { o.GetObjectMeta().Name = "q" }, "metadata.name: Invalid value: \"q\": field is immutable"},
		{"deployment selector", `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d, v: "1"}}
    spec: {containers: [{name: c, image: nginx}]}
`, func(o Object) { o.(*Deployment).Spec.Selector.MatchLabels["v"] = "1" }, "spec.selector: Invalid value"},
		{"service clusterIP", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.1, ports: [{port: 80}]}\n",
			func(o Object) { o.(*Service).Spec.ClusterIP = "10.0.0.2"; o.(*Service).Spec.ClusterIPs = nil }, "spec.clusterIP: Invalid value: \"10.0.0.2\": field is immutable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := decodeOne(t, tt.old)
			n := old.DeepCopyObject()
			tt.edit(n)
			err := ValidateUpdate(old, n)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
