package frameworktest

import (
	"net/http"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/dynamosession/dynamosession/gorillastore"
)

// ginStore makes a gorillastore.Store a gin-contrib/sessions Store: that
// interface adds an Options method taking gin-contrib's own Options type,
// which the store cannot name without depending on gin. These lines are
// what a gin app writes (gin-contrib wraps gorilla's own stores the
// same way).
type ginStore struct{ *gorillastore.Store }

func (s ginStore) Options(o sessions.Options) {
	s.Store.Options = o.ToGorillaOptions()
	s.Store.MaxAge(o.MaxAge) // the codecs accept cookies as old as Max-Age
}

// ginApp is a small gin app keeping a typed cart in its sessions.
func ginApp(store *gorillastore.Store) http.Handler {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("sid", ginStore{store}))
	r.GET("/", func(c *gin.Context) {
		s := sessions.Default(c)
		user, ok := s.Get("user").(string)
		if !ok {
			c.String(http.StatusOK, "anonymous")
			return
		}
		c.String(http.StatusOK, "%s: %v", user, s.Get("cart").(Cart).Items)
	})
	r.POST("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", "ada")
		s.Set("cart", Cart{Items: []string{}})
		saved(c, s.Save())
	})
	r.POST("/add", func(c *gin.Context) {
		s := sessions.Default(c)
		cart := s.Get("cart").(Cart)
		cart.Items = append(cart.Items, c.Query("item"))
		cart.Total++
		s.Set("cart", cart)
		saved(c, s.Save())
	})
	r.POST("/save-unchanged", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("user", s.Get("user")) // marks the session written: Save runs
		saved(c, s.Save())
	})
	r.POST("/logout", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{Path: "/", MaxAge: -1})
		saved(c, s.Save())
	})
	return r
}

func saved(c *gin.Context, err error) {
	if err != nil {
		c.String(http.StatusInternalServerError, "%v", err)
		return
	}
	c.String(http.StatusOK, "ok")
}

func TestGin(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		store, _, calls := newStore(t, db)
		visit(t, ginApp(store), calls, shopping)
	})
}

// Compile-time proof that the wrapper is a gin-contrib Store.
var _ sessions.Store = ginStore{}
