package store_test

import (
	"context"
	"fmt"
	"log"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// Open a single-member store with the zero Config, then create, read and
// update an object with compare-and-swap.
func Example() {
	ctx := context.Background()
	db, err := store.Open("", store.Config{Logger: quietLogger()}) // "" keeps it in memory
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	cm := &types.ConfigMap{Data: map[string]string{"color": "blue"}}
	cm.Namespace, cm.Name = "default", "settings"
	created, err := db.Create(ctx, cm)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("generation:", created.GetObjectMeta().Generation)

	// Two writers start from the same version; the second one conflicts.
	a := created.DeepCopyObject().(*types.ConfigMap)
	b := created.DeepCopyObject().(*types.ConfigMap)
	a.Data["color"] = "green"
	if _, err := db.Update(ctx, a); err != nil {
		log.Fatal(err)
	}
	b.Data["color"] = "red"
	_, err = db.Update(ctx, b)
	fmt.Println("conflict:", store.IsConflict(err))

	got, err := store.For[*types.ConfigMap](db).Get(ctx, "default", "settings")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("color:", got.Data["color"])
	// Output:
	// generation: 1
	// conflict: true
	// color: green
}

// List, then watch from the list's revision to see every later change.
func ExampleDB_Watch() {
	ctx := context.Background()
	db, err := store.Open("", store.Config{Logger: quietLogger()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	list, err := db.List(ctx, "ConfigMap", store.ListOptions{Namespace: "default"})
	if err != nil {
		log.Fatal(err)
	}
	w, err := db.Watch(ctx, "ConfigMap", store.WatchOptions{Namespace: "default", ResourceVersion: list.ResourceVersion})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	cm := &types.ConfigMap{}
	cm.Namespace, cm.Name = "default", "a"
	if _, err := db.Create(ctx, cm); err != nil {
		log.Fatal(err)
	}
	if err := db.Delete(ctx, "ConfigMap", "default", "a"); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		ev := <-w.Events()
		fmt.Println(ev.Type, ev.Object.GetObjectMeta().Name)
	}
	// Output:
	// ADDED a
	// DELETED a
}
