package types

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"sigs.k8s.io/yaml"

	"github.com/coxswain/coxswain/types"
)

// kinds pairs each of our kinds with Kubernetes' Go type for it.
var kinds = map[string]func() any{
	"Pod": func() any { return &corev1.Pod{} }, "Node": func() any { return &corev1.Node{} },
	"Namespace": func() any { return &corev1.Namespace{} }, "Service": func() any { return &corev1.Service{} },
	//lint:ignore SA1019 we serve core/v1 Endpoints, deprecated upstream but still served
	"Endpoints":             func() any { return &corev1.Endpoints{} },
	"ReplicationController": func() any { return &corev1.ReplicationController{} },
	"ConfigMap":             func() any { return &corev1.ConfigMap{} }, "Secret": func() any { return &corev1.Secret{} },
	"PersistentVolume": func() any { return &corev1.PersistentVolume{} }, "PersistentVolumeClaim": func() any { return &corev1.PersistentVolumeClaim{} },
	"Event": func() any { return &corev1.Event{} }, "ResourceQuota": func() any { return &corev1.ResourceQuota{} },
	"ServiceAccount": func() any { return &corev1.ServiceAccount{} },
	"Deployment":     func() any { return &appsv1.Deployment{} }, "ReplicaSet": func() any { return &appsv1.ReplicaSet{} },
	"StatefulSet": func() any { return &appsv1.StatefulSet{} }, "DaemonSet": func() any { return &appsv1.DaemonSet{} },
	"ControllerRevision": func() any { return &appsv1.ControllerRevision{} },
	"Job":                func() any { return &batchv1.Job{} }, "CronJob": func() any { return &batchv1.CronJob{} },
	"HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"Lease":                   func() any { return &coordinationv1.Lease{} },
	"StorageClass":            func() any { return &storagev1.StorageClass{} },
	"Role":                    func() any { return &rbacv1.Role{} }, "ClusterRole": func() any { return &rbacv1.ClusterRole{} },
	"RoleBinding": func() any { return &rbacv1.RoleBinding{} }, "ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} },
	"PodDisruptionBudget": func() any { return &policyv1.PodDisruptionBudget{} },
	"PriorityClass":       func() any { return &schedulingv1.PriorityClass{} },
}

// TestKubernetesReadsWhatWeWrite fills every field of every kind, encodes
// it, decodes it strictly (unknown fields are errors) into k8s.io/api's
// type, encodes that, and decodes it strictly with types.Decode to an equal
// object. A misspelt JSON name on either side fails here.
func TestKubernetesReadsWhatWeWrite(t *testing.T) {
	s := types.NewScheme()
	for _, k := range s.Kinds() {
		newK8s, ok := kinds[k.Kind]
		if !ok {
			t.Errorf("no k8s.io/api type for %s", k.Kind)
			continue
		}
		t.Run(k.Kind, func(t *testing.T) {
			obj := k.New()
			fill(reflect.ValueOf(obj).Elem(), 0, 0)
			s.SetTypeMeta(obj)
			switch o := obj.(type) {
			case *types.HorizontalPodAutoscaler:
				o.APIVersion = "autoscaling/v2"
			case *types.Secret:
				o.StringData = nil
			}
			ours, err := types.EncodeJSON(obj)
			if err != nil {
				t.Fatal(err)
			}
			theirs := newK8s()
			dec := json.NewDecoder(bytes.NewReader(ours))
			dec.DisallowUnknownFields()
			if err := dec.Decode(theirs); err != nil {
				t.Fatalf("k8s.io/api cannot read our %s: %v\n%s", k.Kind, err, ours)
			}
			back, err := json.Marshal(theirs)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := types.Decode(back)
			if err != nil {
				t.Fatalf("we cannot read k8s.io/api's %s: %v\n%s", k.Kind, err, back)
			}
			// Compared as JSON: the fill leaves some nested values empty, and
			// nil and empty are one in JSON.
			again, err := types.EncodeJSON(objs[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, ours) {
				t.Fatalf("round trip through k8s.io/api differs:\nours:  %s\nback:  %s", ours, again)
			}
		})
	}
}

// TestHPAV1FromKubernetes checks that an autoscaling/v1 HPA written by
// Kubernetes decodes, and that our v1 encoding is one Kubernetes reads.
func TestHPAV1FromKubernetes(t *testing.T) {
	pct := int32(90)
	minR := int32(1)
	in := autoscalingv1.HorizontalPodAutoscaler{}
	in.APIVersion, in.Kind, in.Name, in.Namespace = "autoscaling/v1", "HorizontalPodAutoscaler", "php-apache", "default"
	in.Spec = autoscalingv1.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "php-apache"},
		MinReplicas:    &minR, MaxReplicas: 10, TargetCPUUtilizationPercentage: &pct,
	}
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := types.Decode(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	h := objs[0].(*types.HorizontalPodAutoscaler)
	if *h.Spec.Metrics[0].Resource.Target.AverageUtilization != 90 {
		t.Fatalf("metrics = %+v", h.Spec.Metrics)
	}
	ours, err := types.EncodeJSON(h)
	if err != nil {
		t.Fatal(err)
	}
	var out autoscalingv1.HorizontalPodAutoscaler
	dec := json.NewDecoder(bytes.NewReader(ours))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("%v\n%s", err, ours)
	}
	if !reflect.DeepEqual(out.Spec, in.Spec) {
		t.Fatalf("spec differs: %+v", out.Spec)
	}
}

// fill sets every exported field reachable from v to a non-zero value.
func fill(v reflect.Value, seed int, depth int) {
	if depth > 12 {
		return
	}
	switch x := v.Addr().Interface().(type) {
	case *types.Quantity:
		*x = types.MustParseQuantity([]string{"1", "250m", "64Mi", "2"}[seed%4])
		return
	case *types.IntOrString:
		if seed%2 == 0 {
			*x = types.FromInt32(int32(seed + 1))
		} else {
			*x = types.FromString("25%")
		}
		return
	case *types.Time:
		*x = types.NewTime(time.Date(2024, 1, 2, 3, 4, 5+seed%50, 0, time.UTC))
		return
	case *types.MicroTime:
		*x = types.NewMicroTime(time.Date(2024, 1, 2, 3, 4, 5, 123456000+seed*1000, time.UTC))
		return
	case *types.RawExtension:
		x.Raw = []byte(`{"a":1}`)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed+i, depth+1)
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed, depth+1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{byte(seed), 'x'})
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), seed, depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, seed, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, seed, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("v" + string(rune('a'+seed%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed%100 + 1))
	}
}
