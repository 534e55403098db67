package remote

import (
	"testing"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/storetest"
)

func TestConformanceOneMember(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db := openDB(t)
		_, hs := serve(t, db, Config{})
		return dial(t, ClientConfig{Server: hs.URL})
	})
}
