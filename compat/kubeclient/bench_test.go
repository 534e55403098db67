package kubeclient

import (
	"encoding/json"
	"testing"

	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/types"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// BenchmarkDecodeBody compares, for request bodies as client-go sends
// them, the server's decoding (protobuf through ProtobufToJSON, then the
// strict JSON decoder; JSON straight) with apimachinery's decoding of the
// same bytes into the k8s.io/api types (the first step of kube-apiserver's
// decoding, without conversion or defaulting), side by side in one run.
func BenchmarkDecodeBody(b *testing.B) {
	sch := types.NewScheme()
	pbSer := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	codecs := scheme.Codecs.UniversalDeserializer()
	for _, obj := range protoObjects()[:4] { // ConfigMap, Secret, Namespace, Deployment
		gvks, _, _ := scheme.Scheme.ObjectKinds(obj)
		gvk := gvks[0]
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		pb, err := runtime.Encode(pbSer, obj)
		if err != nil {
			b.Fatal(err)
		}
		js, err := json.Marshal(obj)
		if err != nil {
			b.Fatal(err)
		}
		k, _ := sch.Lookup(gvk.Kind)
		av := gvk.GroupVersion().String()
		var dec remote.ProtobufDecoder // as the server keeps one
		b.Run(gvk.Kind+"/protobuf/coxswain", func(b *testing.B) {
			b.SetBytes(int64(len(pb)))
			b.ReportAllocs()
			for b.Loop() {
				j, err := dec.ToJSON(pb, av, gvk.Kind, k.New())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := remote.DecodeBody(sch, k, j); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(gvk.Kind+"/protobuf/apimachinery", func(b *testing.B) {
			b.SetBytes(int64(len(pb)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := codecs.Decode(pb, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(gvk.Kind+"/json/coxswain", func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := remote.DecodeBody(sch, k, js); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(gvk.Kind+"/json/apimachinery", func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := codecs.Decode(js, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
