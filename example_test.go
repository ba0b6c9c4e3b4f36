package browseruse_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// The quickstart, against the fake server so that it runs anywhere. Against
// the real API, build the client with browseruse.New() and a key in
// $BROWSER_USE_API_KEY.
func Example() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, err := srv.Client() // browseruse.New() with the fake's URL and key
	if err != nil {
		log.Fatal(err)
	}

	skillID := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	res, err := c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"X": 10},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(res.Result))
	// Output: {"parameters":{"X":10}}
}

func ExampleAPIError() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	srv.Enqueue(browserusetest.Reply{Status: 402, JSON: map[string]any{"detail": "Insufficient credits"}})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
	var apiErr *browseruse.APIError
	if errors.Is(err, browseruse.ErrInsufficientCredits) && errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Detail)
	}
	// Output: 402 Insufficient credits
}
