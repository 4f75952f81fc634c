package frameworktest

import (
	"net/http"
	"testing"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"

	"github.com/dynamosession/dynamosession/gorillastore"
)

// echoApp is a small echo app keeping a typed cart in its sessions; the
// store goes to echo-contrib's middleware as it is.
func echoApp(store *gorillastore.Store) http.Handler {
	e := echo.New()
	e.Use(session.Middleware(store))
	// get loads the session. An error comes with a usable new session (the
	// stored one could not be decoded, or DynamoDB failed): log it and
	// carry on, or every request with that cookie fails.
	get := func(c echo.Context) *sessions.Session {
		s, err := session.Get("sid", c)
		if err != nil {
			c.Logger().Error(err)
		}
		return s
	}
	e.GET("/", func(c echo.Context) error {
		s := get(c)
		user, ok := s.Values["user"].(string)
		if !ok {
			return c.String(http.StatusOK, "anonymous")
		}
		return c.String(http.StatusOK, user+": "+fmtItems(s.Values["cart"].(Cart).Items))
	})
	e.POST("/login", func(c echo.Context) error {
		s := get(c)
		s.Values["user"] = "ada"
		s.Values["cart"] = Cart{Items: []string{}}
		return ok(c, s.Save(c.Request(), c.Response()))
	})
	e.POST("/add", func(c echo.Context) error {
		s := get(c)
		cart := s.Values["cart"].(Cart)
		cart.Items = append(cart.Items, c.QueryParam("item"))
		cart.Total++
		s.Values["cart"] = cart
		return ok(c, s.Save(c.Request(), c.Response()))
	})
	e.POST("/save-unchanged", func(c echo.Context) error {
		s := get(c)
		return ok(c, s.Save(c.Request(), c.Response()))
	})
	e.POST("/logout", func(c echo.Context) error {
		s := get(c)
		s.Options.MaxAge = -1
		return ok(c, s.Save(c.Request(), c.Response()))
	})
	return e
}

func ok(c echo.Context, err error) error {
	if err != nil {
		return err
	}
	return c.String(http.StatusOK, "ok")
}

func TestEcho(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		store, _, calls := newStore(t, db)
		visit(t, echoApp(store), calls, shopping)
	})
}
