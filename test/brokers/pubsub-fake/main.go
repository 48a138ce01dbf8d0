// Command pubsub-fake runs Google's in-memory Pub/Sub fake (pstest) as a
// standalone gRPC server for Hookyard's real-broker tests.
//
// Usage: pubsub-fake [-addr 127.0.0.1:8085]
// Clients connect with PUBSUB_EMULATOR_HOST=<addr> and any PUBSUB_PROJECT_ID.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
)

// defaultAckDeadline fills in the real service's default ack deadline (10 s) when a
// CreateSubscription request leaves ack_deadline_seconds unset (0). pstest rejects 0
// with codes.Unknown ("bad ack_deadline_seconds: 0"), which clients retry until their
// deadline; the real service and the gcloud emulator accept it. Client libraries that
// send raw protos (the Node client, the Go v2 client) omit it unless told.
type defaultAckDeadline struct{}

func (defaultAckDeadline) React(req interface{}) (handled bool, ret interface{}, err error) {
	if sub, ok := req.(*pubsubpb.Subscription); ok && sub.GetAckDeadlineSeconds() == 0 {
		sub.AckDeadlineSeconds = 10
	}
	return false, nil, nil // not handled: pstest goes on with the (amended) request
}

func main() {
	defaultAddr := "127.0.0.1:8085"
	if v := os.Getenv("PUBSUB_FAKE_ADDR"); v != "" {
		defaultAddr = v
	}
	addr := flag.String("addr", defaultAddr, "host:port to listen on")
	flag.Parse()

	// Let tests use short ack deadlines (the real service's minimum is 10 s).
	pstest.SetMinAckDeadline(time.Second)

	srv := pstest.NewServerWithAddress(*addr,
		pstest.ServerReactorOption{FuncName: "CreateSubscription", Reactor: defaultAckDeadline{}})
	log.Printf("pstest Pub/Sub fake listening on %s", srv.Addr)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	s := <-sig
	log.Printf("received %v, shutting down", s)
	if err := srv.Close(); err != nil {
		log.Printf("close: %v", err)
	}
}
