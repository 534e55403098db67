package types

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"
)

// TestGeneratedDeepCopyFresh fails when zz_generated_deepcopy.go is stale:
// it runs the generator to standard output and compares.
func TestGeneratedDeepCopyFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	out, err := exec.Command("go", "run", "../internal/gen/deepcopy", "-o", "-").Output()
	if err != nil {
		t.Fatalf("generator: %v", err)
	}
	have, err := os.ReadFile("zz_generated_deepcopy.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, have) {
		t.Fatal("zz_generated_deepcopy.go is stale: run go generate ./types")
	}
}

// TestDeepCopyEveryKind fills every field of every built-in kind, copies it,
// and checks the copy is equal and shares no memory.
func TestDeepCopyEveryKind(t *testing.T) {
	for _, k := range NewScheme().Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			obj := k.New()
			fill(reflect.ValueOf(obj).Elem(), 0, 0)
			cp := obj.DeepCopyObject()
			if !reflect.DeepEqual(obj, cp) {
				t.Fatal("copy differs from original")
			}
			if p := aliased(reflect.ValueOf(obj).Elem(), reflect.ValueOf(cp).Elem(), k.Kind); p != "" {
				t.Fatalf("copy shares memory at %s", p)
			}
			if cp.GetKind() != k.Kind {
				t.Fatalf("GetKind = %q", cp.GetKind())
			}
		})
	}
}

func TestDeepCopyNil(t *testing.T) {
	var p *Pod
	if p.DeepCopy() != nil || p.DeepCopyObject() != nil {
		t.Fatal("nil copy is not nil")
	}
}

func benchPod() *Pod {
	objs, err := Decode([]byte(realisticPod))
	if err != nil {
		panic(err)
	}
	p := objs[0].(*Pod)
	Default(p)
	return p
}

func benchDeployment() *Deployment {
	objs, err := Decode([]byte(realisticDeployment))
	if err != nil {
		panic(err)
	}
	d := objs[0].(*Deployment)
	Default(d)
	return d
}

func BenchmarkDeepCopyPod(b *testing.B) {
	p := benchPod()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.DeepCopyObject()
	}
}

func BenchmarkJSONRoundTripPod(b *testing.B) {
	p := benchPod()
	b.ReportAllocs()
	for b.Loop() {
		data, err := json.Marshal(p)
		if err != nil {
			b.Fatal(err)
		}
		var out Pod
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeepCopyDeployment(b *testing.B) {
	d := benchDeployment()
	b.ReportAllocs()
	for b.Loop() {
		_ = d.DeepCopyObject()
	}
}

func BenchmarkJSONRoundTripDeployment(b *testing.B) {
	d := benchDeployment()
	b.ReportAllocs()
	for b.Loop() {
		data, err := json.Marshal(d)
		if err != nil {
			b.Fatal(err)
		}
		var out Deployment
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDeploymentYAML(b *testing.B) {
	data := []byte(realisticDeployment)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateDeployment(b *testing.B) {
	d := benchDeployment()
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(d); err != nil {
			b.Fatal(err)
		}
	}
}

const realisticPod = `
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c8f6-x2k9p
  namespace: shop
  uid: 8f6d2c1e-1b2a-4c3d-9e8f-0a1b2c3d4e5f
  resourceVersion: "123456"
  creationTimestamp: "2024-05-01T10:00:00Z"
  labels:
    app: web
    tier: frontend
    pod-template-hash: 7d4b9c8f6
  annotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "9090"
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-7d4b9c8f6
    uid: 1a2b3c4d-0000-0000-0000-000000000001
    controller: true
    blockOwnerDeletion: true
spec:
  volumes:
  - name: config
    configMap:
      name: web-config
      items:
      - key: app.yaml
        path: app.yaml
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 64Mi
  - name: certs
    secret:
      secretName: web-tls
  initContainers:
  - name: migrate
    image: registry.example.com/shop/migrate:1.4.2
    command: ["/bin/migrate", "--up"]
    env:
    - name: DB_URL
      valueFrom:
        secretKeyRef:
          name: db
          key: url
  containers:
  - name: web
    image: registry.example.com/shop/web:1.4.2
    args: ["--port=8080", "--metrics=:9090"]
    ports:
    - name: http
      containerPort: 8080
    - name: metrics
      containerPort: 9090
    env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: LOG_LEVEL
      value: info
    - name: DB_URL
      valueFrom:
        secretKeyRef:
          name: db
          key: url
    envFrom:
    - configMapRef:
        name: web-env
    resources:
      requests:
        cpu: 250m
        memory: 128Mi
      limits:
        cpu: "1"
        memory: 256Mi
    volumeMounts:
    - name: config
      mountPath: /etc/web
      readOnly: true
    - name: cache
      mountPath: /var/cache/web
    - name: certs
      mountPath: /etc/tls
      readOnly: true
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      initialDelaySeconds: 10
      periodSeconds: 10
    readinessProbe:
      httpGet:
        path: /ready
        port: 8080
      periodSeconds: 5
  - name: sidecar
    image: registry.example.com/proxy:2.1
    ports:
    - containerPort: 15001
    resources:
      requests:
        cpu: 50m
        memory: 32Mi
  nodeSelector:
    kubernetes.io/os: linux
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              app: web
  tolerations:
  - key: node.kubernetes.io/not-ready
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
  serviceAccountName: web
  nodeName: node-17
status:
  phase: Running
  podIP: 10.244.3.17
  podIPs:
  - ip: 10.244.3.17
  hostIP: 192.168.1.17
  startTime: "2024-05-01T10:00:02Z"
  conditions:
  - type: Ready
    status: "True"
    lastTransitionTime: "2024-05-01T10:00:20Z"
  - type: PodScheduled
    status: "True"
    lastTransitionTime: "2024-05-01T10:00:01Z"
  containerStatuses:
  - name: web
    ready: true
    restartCount: 0
    image: registry.example.com/shop/web:1.4.2
    imageID: sha256:abc
    containerID: containerd://0123
    state:
      running:
        startedAt: "2024-05-01T10:00:05Z"
  - name: sidecar
    ready: true
    restartCount: 1
    image: registry.example.com/proxy:2.1
    imageID: sha256:def
    state:
      running:
        startedAt: "2024-05-01T10:00:06Z"
    lastState:
      terminated:
        exitCode: 137
        reason: OOMKilled
        startedAt: "2024-05-01T10:00:03Z"
        finishedAt: "2024-05-01T10:00:04Z"
  qosClass: Burstable
`

const realisticDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
  annotations:
    deployment.kubernetes.io/revision: "7"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
    matchExpressions:
    - {key: tier, operator: In, values: [frontend]}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 25%
  template:
    metadata:
      labels:
        app: web
        tier: frontend
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2
        ports:
        - name: http
          containerPort: 8080
        env:
        - name: LOG_LEVEL
          value: info
        resources:
          requests:
            cpu: 250m
            memory: 128Mi
          limits:
            cpu: "1"
            memory: 256Mi
        readinessProbe:
          httpGet:
            path: /ready
            port: http
      - name: sidecar
        image: registry.example.com/proxy:2.1
        resources:
          requests:
            cpu: 50m
            memory: 32Mi
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            app: web
status:
  observedGeneration: 7
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - type: Available
    status: "True"
    lastUpdateTime: "2024-05-01T10:01:00Z"
    lastTransitionTime: "2024-05-01T10:01:00Z"
    reason: MinimumReplicasAvailable
`

// BenchmarkDeepCopyVsJSON interleaves a deep copy and a JSON round trip of
// the same object in each iteration and reports both times and their
// ratio, so load on a shared machine hits both alike.
func BenchmarkDeepCopyVsJSON(b *testing.B) {
	for _, o := range []Object{benchPod(), benchDeployment()} {
		b.Run(o.GetKind(), func(b *testing.B) {
			var copyT, jsonT time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = o.DeepCopyObject()
				t1 := time.Now()
				data, err := json.Marshal(o)
				if err != nil {
					b.Fatal(err)
				}
				out := reflect.New(reflect.TypeOf(o).Elem()).Interface()
				if err := json.Unmarshal(data, out); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				copyT += t1.Sub(t0)
				jsonT += t2.Sub(t1)
			}
			b.ReportMetric(float64(copyT.Nanoseconds())/float64(b.N), "copy-ns/op")
			b.ReportMetric(float64(jsonT.Nanoseconds())/float64(b.N), "json-ns/op")
			b.ReportMetric(float64(jsonT)/float64(copyT), "json/copy")
		})
	}
}
