package kubeclient

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// protoObjects are objects as kubectl's generators and typed clients send
// them, with the fields protobuf must carry: maps, bytes, quantities,
// int-or-strings, times, pointers to zero, nested lists.
func protoObjects() []runtime.Object {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	lbl := map[string]string{"app": "web"}
	return []runtime.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "gen", Namespace: "shop", Labels: lbl, Annotations: map[string]string{"a": ""}}, Data: map[string]string{"a": "b", "empty": ""}, BinaryData: map[string][]byte{"bin": {0, 1, 2}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "shop"}, Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte("hunter2")}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "made"}},
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: lbl, CreationTimestamp: now},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(0)),
				Selector: &metav1.LabelSelector{MatchLabels: lbl, MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}}},
				Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: ptr(intstr.FromString("25%")), MaxUnavailable: ptr(intstr.FromInt32(1))}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: lbl},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "nginx", Image: "nginx:1.27", Args: []string{"-g", "daemon off;"},
						Ports:     []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
						Env:       []corev1.EnvVar{{Name: "A", Value: "1"}},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
					}}},
				},
			},
		},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: corev1.ServiceSpec{Selector: lbl, Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "j", Namespace: "shop"}, Spec: batchv1.JobSpec{BackoffLimit: ptr(int32(0)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "j", Image: "busybox", Command: []string{"true"}}}}}}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "shop"}, Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "shop"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sa", Namespace: "shop"}},
	}
}

// TestProtobufDifferential encodes objects with Kubernetes' own protobuf
// serializer and checks that the server's decoding of them equals its
// decoding of Kubernetes' JSON for the same objects.
func TestProtobufDifferential(t *testing.T) {
	sch := types.NewScheme()
	ser := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	for _, obj := range protoObjects() {
		gvks, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil {
			t.Fatal(err)
		}
		gvk := gvks[0]
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		t.Run(gvk.Kind, func(t *testing.T) {
			pb, err := runtime.Encode(ser, obj)
			if err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			k, ok := sch.Lookup(gvk.Kind)
			if !ok {
				t.Fatalf("kind %s not in the scheme", gvk.Kind)
			}
			fromPB, err := remote.ProtobufToJSON(pb, gvk.GroupVersion().String(), gvk.Kind, k.New())
			if err != nil {
				t.Fatalf("ProtobufToJSON: %v", err)
			}
			got, err := remote.DecodeBody(sch, k, fromPB)
			if err != nil {
				t.Fatalf("decoding the converted body %s: %v", fromPB, err)
			}
			want, err := remote.DecodeBody(sch, k, js)
			if err != nil {
				t.Fatalf("decoding Kubernetes' JSON %s: %v", js, err)
			}
			if !reflect.DeepEqual(got, want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(want)
				t.Errorf("protobuf decodes to\n%s\nJSON to\n%s", gj, wj)
			}
		})
	}
	// Request-only kinds.
	ssar := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "shop", Verb: "create", Group: "apps", Resource: "deployments"}}}
	ssar.SetGroupVersionKind(authzv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview"))
	pb, err := runtime.Encode(ser, ssar)
	if err != nil {
		t.Fatal(err)
	}
	out, err := remote.ProtobufToJSON(pb, "authorization.k8s.io/v1", "SelfSubjectAccessReview", &remote.SelfSubjectAccessReview{})
	if err != nil {
		t.Fatal(err)
	}
	var rev remote.SelfSubjectAccessReview
	if err := json.Unmarshal(out, &rev); err != nil {
		t.Fatal(err)
	}
	if ra := rev.Spec.ResourceAttributes; ra == nil || *ra != (remote.ResourceAttributes{Namespace: "shop", Verb: "create", Group: "apps", Resource: "deployments"}) {
		t.Errorf("SelfSubjectAccessReview from protobuf: %s", out)
	}
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "shop"}, DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}}
	ev.SetGroupVersionKind(policyv1.SchemeGroupVersion.WithKind("Eviction"))
	if pb, err = runtime.Encode(ser, ev); err != nil {
		t.Fatal(err)
	}
	if out, err = remote.ProtobufToJSON(pb, "policy/v1", "Eviction", nil); err != nil {
		t.Fatal(err)
	}
	var evj struct {
		Metadata      struct{ Name string }
		DeleteOptions struct{ GracePeriodSeconds *int64 }
	}
	if err := json.Unmarshal(out, &evj); err != nil {
		t.Fatal(err)
	}
	if evj.Metadata.Name != "p" || evj.DeleteOptions.GracePeriodSeconds == nil || *evj.DeleteOptions.GracePeriodSeconds != 0 {
		t.Errorf("Eviction from protobuf: %s", out)
	}
}

// TestProtobufClientGo uses client-go's typed clientset with its default
// content type, protobuf, as kubectl does: creates, updates, an access
// review and the errors come back classified.
func TestProtobufClientGo(t *testing.T) {
	m := newMaster(t, masterOptions{})
	ctx := ctxT(t, time.Minute)
	cfg := m.restConfig(m.urls[0])
	cfg.ContentType = "" // client-go's default: protobuf
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs := protoObjects()
	ns := objs[2].(*corev1.Namespace)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace shop: %v", err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	cm, err := cs.CoreV1().ConfigMaps("shop").Create(ctx, objs[0].(*corev1.ConfigMap), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create configmap: %v", err)
	}
	if cm.Data["a"] != "b" || string(cm.BinaryData["bin"]) != "\x00\x01\x02" {
		t.Errorf("configmap round trip: %+v", cm)
	}
	cm.Data["a"] = "c"
	if cm, err = cs.CoreV1().ConfigMaps("shop").Update(ctx, cm, metav1.UpdateOptions{}); err != nil || cm.Data["a"] != "c" {
		t.Fatalf("update configmap: %v %v", cm, err)
	}
	stale := cm.DeepCopy()
	stale.ResourceVersion = "1"
	_, err = cs.CoreV1().ConfigMaps("shop").Update(ctx, stale, metav1.UpdateOptions{})
	checkErr(t, "stale protobuf update", err, apierrors.IsConflict, 409)
	_, err = cs.CoreV1().ConfigMaps("shop").Create(ctx, objs[0].(*corev1.ConfigMap), metav1.CreateOptions{})
	checkErr(t, "duplicate protobuf create", err, apierrors.IsAlreadyExists, 409)
	d := objs[3].(*appsv1.Deployment).DeepCopy()
	d.CreationTimestamp = metav1.Time{}
	d.Spec.Selector.MatchExpressions = nil
	got, err := cs.AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	if got.Spec.Replicas == nil || *got.Spec.Replicas != 0 {
		t.Errorf("replicas: %v, want 0 (a pointer to zero must survive protobuf)", got.Spec.Replicas)
	}
	if q := got.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; q.String() != "250m" {
		t.Errorf("cpu request %s, want 250m", q.String())
	}
	bad := d.DeepCopy()
	bad.Name = "Bad_Name"
	_, err = cs.AppsV1().Deployments("shop").Create(ctx, bad, metav1.CreateOptions{})
	checkErr(t, "invalid protobuf create", err, apierrors.IsInvalid, 422)

	// Eviction (protobuf, as kubectl drain sends it) honours a
	// PodDisruptionBudget: 429, which apierrors.IsTooManyRequests knows.
	pod, err := cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "guarded", Labels: map[string]string{"app": "guarded"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := cs.CoreV1().Pods("shop").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("pod status: %v", err)
	}
	one := intstr.FromInt32(1)
	if _, err := cs.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "pdb"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pdb: %v", err)
	}
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "guarded", Namespace: "shop"}}
	err = cs.CoreV1().Pods("shop").EvictV1(ctx, ev)
	checkErr(t, "eviction against a budget", err, apierrors.IsTooManyRequests, 429)
	if err := cs.PolicyV1().PodDisruptionBudgets("shop").Delete(ctx, "pdb", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods("shop").EvictV1(ctx, ev); err != nil {
		t.Fatalf("eviction without a budget: %v", err)
	}
	_, err = cs.CoreV1().Pods("shop").Get(ctx, "guarded", metav1.GetOptions{})
	checkErr(t, "evicted pod", err, apierrors.IsNotFound, 404)

	rev, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "shop", Verb: "create", Group: "apps", Resource: "deployments"}}}, metav1.CreateOptions{})
	if err != nil || !rev.Status.Allowed {
		t.Fatalf("access review as admin: %+v %v", rev, err)
	}
}

// TestProtoSchemaUpToDate checks that store/remote/protoschema.go is what
// the generator writes from the k8s.io/api version this module requires.
func TestProtoSchemaUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out, err := exec.Command("go", "run", "./internal/protogen").Output()
	if err != nil {
		t.Fatalf("go run ./internal/protogen: %v", err)
	}
	have, err := os.ReadFile("../../store/remote/protoschema.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, have) {
		t.Errorf("store/remote/protoschema.go is stale: run `cd compat && go run ./kubeclient/internal/protogen -o ../store/remote/protoschema.go`")
	}
}
