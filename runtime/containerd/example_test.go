package containerd_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/coxswain/coxswain/runtime"
	"github.com/coxswain/coxswain/runtime/containerd"
)

// BuildImage packs files, such as a static binary, into an OCI archive that
// LoadImage imports. The archive is deterministic.
func ExampleBuildImage() {
	h := sha256.New()
	digest, err := containerd.BuildImage(context.Background(), h, containerd.ImageSpec{
		Name:       "docker.io/example/hello:1",
		Files:      map[string][]byte{"/hello": []byte("#!/hello\n")},
		Entrypoint: []string{"/hello"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(digest[:7], len(digest))
	// Output: sha256: 71
}

// A node agent connects to containerd, loads the images it needs (or
// pulls them), and runs pods. This needs root, containerd, runc and the CNI plugins.
func ExampleNew() {
	ctx := context.Background()
	rt, err := containerd.New(ctx, containerd.Config{PodCIDR: "10.213.0.0/16"})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close()
	img, err := os.Open("hello.tar") // written by BuildImage
	if err != nil {
		log.Fatal(err)
	}
	defer img.Close()
	if _, err := rt.LoadImage(ctx, img); err != nil {
		log.Fatal(err)
	}
	sb := runtime.SandboxConfig{Name: "web", Namespace: "default", UID: "1", LogDirectory: "/var/log/pods/default_web_1"}
	id, err := rt.RunPodSandbox(ctx, sb)
	if err != nil {
		log.Fatal(err)
	}
	c, err := rt.CreateContainer(ctx, id, runtime.ContainerConfig{Name: "app", Image: "docker.io/example/hello:1", LogPath: "app/0.log"}, sb)
	if err != nil {
		log.Fatal(err)
	}
	if err := rt.StartContainer(ctx, c); err != nil {
		log.Fatal(err)
	}
	logs, _ := rt.Logs(ctx, c, runtime.LogOptions{Follow: true})
	_, _ = io.Copy(os.Stdout, logs)
}
