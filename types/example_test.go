package types_test

import (
	"errors"
	"fmt"

	"github.com/coxswain/coxswain/types"
)

// Decode a manifest, fill in defaults and validate it, as an API server does.
func Example() {
	manifest := []byte(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    nodePort: 8888
`)
	objs, err := types.Decode(manifest)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, obj := range objs {
		types.Default(obj)
		fmt.Printf("%s %s/%s: %v\n", obj.GetKind(), obj.GetObjectMeta().Namespace, obj.GetObjectMeta().Name, types.Validate(obj))
	}
	// Output:
	// Deployment default/web: <nil>
	// Service default/web: spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767
}

// Decoding is strict: a misspelt field is an error naming the document,
// the line and the path.
func ExampleDecode() {
	_, err := types.Decode([]byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    imagee: nginx
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, types.ErrUnknownField))
	// Output:
	// document 1 (Pod "web"): line 8: spec.containers[0].imagee: unknown field "imagee"
	// true
}

// Validate reports every problem at once; errors.As gives the list.
func ExampleValidate() {
	svc := &types.Service{
		ObjectMeta: types.ObjectMeta{Name: "Service Name"},
		Spec: types.ServiceSpec{
			Type:  "LoadBalancer | ClusterIP | NodePort",
			Ports: []types.ServicePort{{Port: 80}},
		},
	}
	types.Default(svc)
	var list types.ErrorList
	if errors.As(types.Validate(svc), &list) {
		for _, e := range list {
			fmt.Println(e.Field, "-", e.Type)
		}
	}
	// Output:
	// metadata.name - Invalid value
	// spec.type - Unsupported value
}

// Default fills in what Kubernetes would.
func ExampleDefault() {
	d := &types.Deployment{ObjectMeta: types.ObjectMeta{Name: "web"}}
	d.Spec.Template.Spec.Containers = []types.Container{{Name: "web", Image: "nginx"}}
	types.Default(d)
	s := d.Spec
	fmt.Println(*s.Replicas, s.Strategy.Type, s.Strategy.RollingUpdate.MaxSurge, *s.RevisionHistoryLimit)
	c := s.Template.Spec.Containers[0]
	fmt.Println(s.Template.Spec.RestartPolicy, c.ImagePullPolicy, d.Namespace)
	// Output:
	// 1 RollingUpdate 25% 10
	// Always Always default
}

// DeepCopyObject copies an object so the copy can be changed freely.
func ExampleObject_deepCopy() {
	p := &types.Pod{ObjectMeta: types.ObjectMeta{Name: "p", Labels: map[string]string{"app": "a"}}}
	c := p.DeepCopyObject().(*types.Pod)
	c.Labels["app"] = "b"
	fmt.Println(p.Labels["app"], c.Labels["app"])
	// Output: a b
}

// EncodeYAML writes apiVersion and kind from the Scheme.
func ExampleEncodeYAML() {
	ns := &types.Namespace{ObjectMeta: types.ObjectMeta{Name: "shop"}}
	b, _ := types.EncodeYAML(ns)
	fmt.Print(string(b))
	// Output:
	// apiVersion: v1
	// kind: Namespace
	// metadata:
	//   name: shop
}
